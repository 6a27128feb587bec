"""What the page checks of tests/docs share: which repository, and how a result is reported."""
import pathlib
import sys


def run(problems, summary):
    """Runs problems(repo) on the repository named by argv[1] (default: this one), prints each
    problem, then summary(repo, problems); exit status 1 when there is any."""
    repo = pathlib.Path(sys.argv[1] if len(sys.argv) > 1 else pathlib.Path(__file__).parents[2]).resolve()
    found = problems(repo)
    for line in found:
        print(line)
    print(summary(repo, found))
    return 1 if found else 0
