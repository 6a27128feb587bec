#!/usr/bin/env python3
"""Tests of the results scripts (bench_report, results_pages) and bench_compare on hand-made results.

The inputs are written here with round numbers, so every expected figure in the report can
be worked out by hand (noted beside each check). Standard library only:
  python3 tests/scripts/bench_scripts_test.py
"""
import json
import pathlib
import subprocess
import sys
import tempfile
import unittest
import xml.etree.ElementTree as ElementTree

SCRIPTS = pathlib.Path(__file__).resolve().parents[2] / "scripts"


def median(name, ms, **counters):
    """A median aggregate row as Google Benchmark writes it with --benchmark_repetitions=3."""
    return {"name": f"{name}/real_time_median", "run_name": f"{name}/real_time",
            "run_type": "aggregate", "repetitions": 3, "aggregate_name": "median",
            "real_time": ms, "time_unit": "ms", **counters}


def single(name, us, **counters):
    """One run without repetitions (the GPU machine's --benchmark_min_time=0.1)."""
    return {"name": f"{name}/manual_time", "run_name": f"{name}/manual_time",
            "run_type": "iteration", "real_time": us, "time_unit": "us", **counters}


def write_json(path, value):
    path.write_text(json.dumps(value))


def make_cpu_run(folder, forward_ms=(1000.0, 250.0, 100.0)):
    """Stages 01-04 and torch.json: forward images/s 128, 512, 1280, 1600."""
    ctx = {"date": "2026-01-02T03:04:05+00:00", "num_cpus": 2, "mhz_per_cpu": 2000, "host_name": "h"}
    for stage, ms in zip(("01", "02", "03"), forward_ms):
        rows = [median(f"stage{stage}.forward", ms, **{"images/s": 128000 / ms, "GFLOP/s": 1.0})]
        if stage == "03":
            for shape in ("conv1", "1024"):
                rows += [median(f"stage03.gemm/0_naive/{shape}/threads:1", 9.0, **{"GFLOP/s": 2.0}),
                         median(f"stage03.gemm/5_threaded/{shape}/threads:2", 1.0, **{"GFLOP/s": 300.0}),
                         median(f"stage03.openblas/{shape}/threads:2", 2.0, **{"GFLOP/s": 150.0})]
            rows += [median("stage03.gemm/sgemm/dense_dW/threads:2", 1.0, **{"GFLOP/s": 80.0}),
                     median("stage03.openblas/dense_dW/threads:2", 1.0, **{"GFLOP/s": 40.0}),
                     median("stage03.roofline/peak_fma/threads:1", 10.0, **{"GFLOP/s": 210.0}),
                     median("stage03.roofline/peak_fma/threads:2", 10.0, **{"GFLOP/s": 420.0})]
        write_json(folder / f"stage{stage}.json", {"context": ctx, "benchmarks": rows})
    write_json(folder / "stage04.json", {"context": ctx, "benchmarks": [
        median("stage04.train_step", 200.0, **{"images/s": 640.0}),
        median("stage04.step.forward", 80.0, **{"images/s": 1600.0}),
        median("stage04.step.backward", 100.0, **{"images/s": 1280.0}),
        median("stage04.step.optimiser", 20.0, **{"images/s": 6400.0})]})
    write_json(folder / "torch.json", {"name": "PyTorch 9 (CPU)", "threads": 2,
                                       "train_images_per_second": 400.0, "accuracy": 0.98})


def make_gpu_run(folder):
    """What gpu_check.sh leaves: bench.json (single runs) and results.json with torch merged."""
    ctx = {"date": "2026-01-02T00:00:00+00:00", "gpu": "NVIDIA Test 1 (sm_90, 1 SM)",
           "peak_fp32_GFLOPps": "1000.0", "peak_copy_GBps": "100.0"}
    write_json(folder / "bench.json", {"context": ctx, "benchmarks": [
        single("stage05.rung3_fused.conv2+relu+pool2", 10.0, **{"GFLOP/s": 500.0, "%peak_flops": 50.0,
                                                               "GB/s": 10.0, "%peak_bw": 10.0}),
        single("stage05.rung3_fused.step_graph", 20.0, **{"images/s": 6.4e6}),
        single("stage05.cublas.sgemm conv2 forward shape", 5.0, **{"GFLOP/s": 800.0, "%peak_flops": 80.0})]})
    write_json(folder / "results.json", {
        "rung3": {"rung_name": "fused", "accuracy": 0.99, "images_per_second": 600000.0},
        "torch": {"torch": "9", "runs": [{"mode": "eager", "steady_epoch_seconds": 0.5, "accuracy": 0.98}]}})


def run(*args):
    return subprocess.run([sys.executable, *map(str, args)], capture_output=True, text=True)


class BenchReportTest(unittest.TestCase):
    def setUp(self):
        self.tmp = tempfile.TemporaryDirectory()
        self.cpu, self.gpu = pathlib.Path(self.tmp.name, "cpu"), pathlib.Path(self.tmp.name, "gpu")
        self.cpu.mkdir()
        self.gpu.mkdir()
        make_cpu_run(self.cpu)
        make_gpu_run(self.gpu)

    def tearDown(self):
        self.tmp.cleanup()

    def report(self):
        result = run(SCRIPTS / "bench_report.py", self.cpu, self.gpu)
        self.assertEqual(result.returncode, 0, result.stderr)
        return (self.cpu / "report.md").read_text()

    def test_stages_table_speedups_and_pytorch_ratio(self):
        text = self.report()
        self.assertIn("| stage 02 forward | 512 | 1.0 | 4.0x stage 01 |", text)               # 512/128
        self.assertIn("| stage 03 forward | 1,280 | 1.0 | 2.5x stage 02, 10x stage 01 |", text)  # 1280/512, /128
        self.assertIn("| stage 04 training step (rung 1) | 640 |  | **1.60x PyTorch** |", text)       # 640/400
        self.assertIn("| &nbsp;&nbsp;backward | 100.00 ms |  | 50% |", text)                  # 100/200

    def test_gemm_ladder_has_openblas_and_peaks(self):
        text = self.report()
        self.assertIn("| OpenBLAS | 2 | 150.0 | 150.0 |", text)
        self.assertIn("| **5_threaded / OpenBLAS** | 2 | **2.00x** | **2.00x** |", text)
        self.assertIn("| 5_threaded, % of the measured peak (420) | 2 | 71% | 71% |", text)  # 300/420
        self.assertIn("| dense_dW |  |  | 80.0 | 40.0 | 2.00x |", text)
        gemm = (self.cpu / "gemm.svg").read_text()
        self.assertIn("1-core peak 210", gemm)
        self.assertIn("2-core peak 420", gemm)

    def test_gpu_rows_name_their_machine(self):
        text = self.report()
        self.assertIn("NVIDIA Test 1", text)
        self.assertIn("| stage05 rung 3 (fused) | 100.0 | 600,000 |  | 99.00% |", text)  # 60000/600000 s
        self.assertIn("| PyTorch 9 eager | 500.0 | 120,000 |  | 98.00% |", text)           # 60000/0.5
        self.assertIn("Per epoch, rung 3 is **5.0x** PyTorch eager.", text)
        self.assertIn("| cuBLAS | sgemm conv2 forward shape | 5.00 µs | 800.0 |", text)

    def test_every_svg_is_well_formed_xml(self):
        self.report()
        for name in ("stages.svg", "gemm.svg", "gpu_kernels.svg"):
            root = ElementTree.parse(self.cpu / name).getroot()
            self.assertTrue(root.tag.endswith("svg"), name)

    def test_results_file_is_stamped_and_compares_ratio_by_ratio(self):
        self.report()
        results = json.loads((self.cpu / "results.json").read_text())
        self.assertEqual(results["machine"]["cores"], 2)
        self.assertIn("commit", results["machine"])
        self.assertEqual(results["cpu"]["rows"]["stage03.forward"]["images/s"], 1280.0)
        result = run(SCRIPTS / "results_pages.py", "compare", self.cpu / "results.json", "-o", self.cpu)
        self.assertEqual(result.returncode, 0, result.stderr)
        self.assertIn("| stage 03 forward (images/s) | 1,280.0 |", result.stdout)
        self.assertIn("Yours:", (self.cpu / "tables.md").read_text())


class FilteredRunTest(unittest.TestCase):
    def test_a_binary_whose_benchmarks_were_all_filtered_out_is_skipped(self):
        # Google Benchmark leaves an empty --benchmark_out file when BENCH_FILTER matched none.
        with tempfile.TemporaryDirectory() as tmp:
            folder = pathlib.Path(tmp)
            make_cpu_run(folder)
            (folder / "stage05.json").write_text("")
            result = run(SCRIPTS / "bench_report.py", folder)
            self.assertEqual(result.returncode, 0, result.stderr)
            self.assertIn("| stage 03 forward | 1,280 |", (folder / "report.md").read_text())


class ResultsPagesTest(unittest.TestCase):
    def test_a_marked_table_is_rendered_and_an_unknown_one_refused(self):
        sys.path.insert(0, str(SCRIPTS))
        import results_pages
        with tempfile.TemporaryDirectory() as tmp:
            folder = pathlib.Path(tmp)
            make_cpu_run(folder)
            run(SCRIPTS / "bench_report.py", folder)
            results = json.loads((folder / "results.json").read_text())
        store = {"cpu": results, "gpu": None}
        page = "intro\n<!-- results:stage04-step -->\nstale\n<!-- /results -->\nafter\n"
        text = results_pages.render_text(page, store, "page.md")
        self.assertNotIn("stale", text)
        self.assertIn("| whole training step | 200.00 ms |", text)
        self.assertTrue(text.endswith("<!-- /results -->\nafter\n"))
        self.assertIn("No GPU results", results_pages.render_text(
            "<!-- results:stage05-rungs -->\n<!-- /results -->", store, "page.md"))
        with self.assertRaises(SystemExit) as refused:
            results_pages.render_text("<!-- results:nope -->\n<!-- /results -->", store, "page.md")
        self.assertIn("unknown results table 'nope'", str(refused.exception))


class BenchCompareTest(unittest.TestCase):
    def test_flags_a_slower_benchmark_and_prints_the_geometric_mean(self):
        with tempfile.TemporaryDirectory() as tmp:
            old, new = pathlib.Path(tmp, "old"), pathlib.Path(tmp, "new")
            old.mkdir()
            new.mkdir()
            make_cpu_run(old)
            make_cpu_run(new, forward_ms=(1000.0, 250.0, 200.0))  # stage03.forward twice as slow
            result = run(SCRIPTS / "bench_compare.py", old, new)
        self.assertEqual(result.returncode, 0, result.stderr)
        line = next(l for l in result.stdout.splitlines() if l.startswith("stage03.forward "))
        self.assertIn("+100.0% SLOWER", line)
        # 17 benchmarks in both runs, one ratio of 2: 2^(1/17) = 1.0416
        self.assertIn("geometric mean of new/old time over 17 benchmarks: 1.042", result.stdout)

    def test_a_folder_without_results_is_an_error(self):
        with tempfile.TemporaryDirectory() as tmp:
            result = run(SCRIPTS / "bench_compare.py", tmp, tmp)
        self.assertEqual(result.returncode, 2)
        self.assertIn("no stage*.json", result.stderr)


if __name__ == "__main__":
    unittest.main()
