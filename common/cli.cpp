#include "common/cli.h"

#include <algorithm>
#include <charconv>
#include <cstdio>
#include <iostream>
#include <type_traits>

#ifdef _OPENMP
#include <omp.h>
#endif

#ifndef MNIST_DEFAULT_DATA_DIR
#define MNIST_DEFAULT_DATA_DIR "data/mnist"
#endif

namespace mnist {

namespace {

struct FlagInfo {
  Flag flag;
  const char* name;
  const char* value_name;  // nullptr: a switch
  const char* help;
};

constexpr FlagInfo kFlags[] = {
    {Flag::data, "data", "DIR",
     "directory holding the MNIST files (default: " MNIST_DEFAULT_DATA_DIR ")"},
    {Flag::weights, "weights", "FILE", "safetensors weights to load"},
    {Flag::out, "out", "FILE",
     "where to save the trained weights (default: trained.safetensors, here)"},
    {Flag::force, "force", nullptr, "let --out replace an existing file (refused without it)"},
    {Flag::epochs, "epochs", "N", "training epochs (default 5)"},
    {Flag::batch, "batch", "N", "images per batch (default 128)"},
    {Flag::seed, "seed", "N", "seed for initialisation, shuffling and dropout (default 1)"},
    {Flag::threads, "threads", "N", "OpenMP threads (default: all cores)"},
    {Flag::limit, "limit", "N", "use only the first N images"},
    {Flag::lr, "lr", "X", "Adam learning rate (default 0.001)"},
    {Flag::json, "json", "FILE", "also write the results as JSON to FILE"},
    {Flag::verbose, "verbose", nullptr, "print more detail while running"},
};

const FlagInfo& info(Flag f) {
  return *std::find_if(std::begin(kFlags), std::end(kFlags),
                       [f](const FlagInfo& i) { return i.flag == f; });
}

/// A range limit as a person would write it: 1e-09 and 10, not 0.000000 and 10.000000.
template <typename T>
std::string bound_text(T value) {
  if constexpr (std::is_floating_point_v<T>) {
    char text[32];
    std::snprintf(text, sizeof text, "%g", static_cast<double>(value));
    return text;
  } else {
    return std::to_string(value);
  }
}

template <typename T>
T parse_number(const std::string& flag, const std::string& text, T lo, T hi) {
  T value{};
  const char* end = text.data() + text.size();
  auto [ptr, ec] = std::from_chars(text.data(), end, value);
  if (ec == std::errc::result_out_of_range) {
    throw UsageError("--" + flag + ": '" + text + "' is out of range");
  }
  if (ec != std::errc() || ptr != end || text.empty()) {
    throw UsageError("--" + flag + ": '" + text + "' is not a number");
  }
  if (!(value >= lo && value <= hi)) {  // written so that NaN fails it too
    throw UsageError("--" + flag + ": " + text + " is out of range (" + bound_text(lo) + " to " +
                     bound_text(hi) + ")");
  }
  return value;
}

void print_help(const CliSpec& spec) {
  std::printf("usage: %s [flags]\n%s\n\nflags:\n", spec.program.c_str(), spec.summary.c_str());
  auto line = [](const std::string& name, const std::string& value, const std::string& help) {
    const std::string left = "--" + name + (value.empty() ? "" : " " + value);
    std::printf("  %-18s %s\n", left.c_str(), help.c_str());
  };
  for (Flag f : spec.flags) {
    const FlagInfo& i = info(f);
    auto custom = spec.help.find(f);
    line(i.name, i.value_name ? i.value_name : "",
         custom != spec.help.end() ? custom->second : i.help);
  }
  for (const ExtraFlag& e : spec.extra) line(e.name, e.value_name, e.help);
  line("help", "", "show this help and exit");
}

}  // namespace

int Options::extra_int(const std::string& name) const {
  auto it = extra.find(name);
  if (it == extra.end()) throw UsageError("--" + name + " is not a flag of this program");
  return parse_number<int>(name, it->second, INT32_MIN, INT32_MAX);
}

bool Options::extra_switch(const std::string& name) const {
  auto it = extra.find(name);
  return it != extra.end() && it->second == "on";
}

std::optional<Options> parse_cli(int argc, char** argv, const CliSpec& spec) {
  Options o;
  o.data_dir = MNIST_DEFAULT_DATA_DIR;
  for (const ExtraFlag& e : spec.extra) o.extra[e.name] = e.default_value;

  for (int i = 1; i < argc; ++i) {
    std::string arg = argv[i];
    if (arg == "--help" || arg == "-h") {
      print_help(spec);
      return std::nullopt;
    }
    if (arg.rfind("--", 0) != 0) throw UsageError("unexpected argument '" + arg + "'");
    std::string name = arg.substr(2);
    std::optional<std::string> inline_value;
    if (auto eq = name.find('='); eq != std::string::npos) {
      inline_value = name.substr(eq + 1);
      name = name.substr(0, eq);
    }
    auto take_value = [&](const char* value_name) -> std::string {
      if (inline_value) return *inline_value;
      if (i + 1 >= argc) throw UsageError("--" + name + " needs a value " + value_name);
      return argv[++i];
    };

    const FlagInfo* shared = nullptr;
    for (Flag f : spec.flags) {
      if (name == info(f).name) shared = &info(f);
    }
    if (shared) {
      if (!shared->value_name) {
        if (inline_value) throw UsageError("--" + name + " takes no value");
        (shared->flag == Flag::force ? o.force : o.verbose) = true;
        continue;
      }
      const std::string v = take_value(shared->value_name);
      switch (shared->flag) {
        case Flag::data:
          o.data_dir = v;
          break;
        case Flag::weights:
          o.weights = v;
          break;
        case Flag::json:
          o.json = v;
          break;
        case Flag::out:
          o.out = v;
          break;
        case Flag::epochs:
          o.epochs = parse_number<int>(name, v, 1, 1000);
          break;
        case Flag::batch:
          o.batch = parse_number<int>(name, v, 1, 60000);
          break;
        case Flag::seed:
          o.seed = parse_number<uint64_t>(name, v, 0, UINT64_MAX);
          break;
        case Flag::threads:
          o.threads = parse_number<int>(name, v, 1, 1024);
          break;
        case Flag::limit:
          o.limit = parse_number<int>(name, v, 1, 60000);
          break;
        case Flag::lr:
          o.lr = parse_number<float>(name, v, 1e-9f, 10.0f);
          break;
        case Flag::force:
        case Flag::verbose:
          break;
      }
      if ((shared->flag == Flag::data || shared->flag == Flag::weights ||
           shared->flag == Flag::out || shared->flag == Flag::json) &&
          v.empty()) {
        throw UsageError("--" + name + " needs a non-empty value");
      }
      continue;
    }
    auto extra = std::find_if(spec.extra.begin(), spec.extra.end(),
                              [&](const ExtraFlag& e) { return e.name == name; });
    if (extra == spec.extra.end()) {
      throw UsageError("unknown flag '--" + name + "' (see --help)");
    }
    if (extra->value_name.empty()) {
      if (inline_value) throw UsageError("--" + name + " takes no value");
      o.extra[name] = "on";
    } else {
      o.extra[name] = take_value(extra->value_name.c_str());
    }
  }

#ifdef _OPENMP
  if (o.threads > 0) omp_set_num_threads(o.threads);
#endif
  return o;
}

int run_main(const std::function<int()>& body) {
  try {
    return body();
  } catch (const UsageError& e) {
    std::fflush(stdout);
    std::fprintf(stderr, "error: %s\n", e.what());
    return 2;
  } catch (const std::exception& e) {
    std::fflush(stdout);
    std::fprintf(stderr, "error: %s\n", e.what());
    return 1;
  }
}

int thread_count() {
#ifdef _OPENMP
  return omp_get_max_threads();
#else
  return 1;
#endif
}

}  // namespace mnist
