// The compiler's passes on the shipped digits ViT, the program file, and configuration errors.
#include <fmt/format.h>
#include <gtest/gtest.h>

#include <filesystem>
#include <fstream>
#include <functional>

#include "raceit/acam/packing.hpp"
#include "raceit/compiler/lower.hpp"
#include "raceit/compiler/options.hpp"
#include "raceit/compiler/place.hpp"
#include "raceit/compiler/program_io.hpp"
#include "raceit/core/error.hpp"
#include "raceit/exec/compile.hpp"
#include "raceit/arch/arch.hpp"

namespace raceit::compiler {

namespace {

std::string error_of(const std::function<void()>& f) {
  try {
    f();
  } catch (const Error& e) {
    return e.what();
  }
  return "";
}

MappingOptions options_with(const std::vector<std::string>& overrides, const std::string& arch = "raceit") {
  return mapping_options(compiler::load_arch(arch::arch_path(arch), overrides));
}

bool have_digits() { return std::filesystem::exists(model::default_data_paths().models_dir + "/vit-digits/model.onnx"); }

const exec::CompiledModel& digits() {
  static const exec::CompiledModel compiled = exec::compile_model({"vit-digits", "digits", "raceit", {}, 8, 0});
  return compiled;
}

std::string temp(const std::string& name) { return (std::filesystem::temp_directory_path() / name).string(); }

}  // namespace

TEST(MappingOptions, FromTheSeedDesign) {
  const MappingOptions m = options_with({});
  EXPECT_EQ(m.crossbar.rows, 128);
  EXPECT_EQ(m.crossbar.inputs, xbar::InputScheme::BitSerial);  // crossbar.dac_bits: 1
  EXPECT_EQ(m.crossbar.encoding, xbar::WeightEncoding::AnalogSlice);
  EXPECT_EQ(m.crossbar.readout, xbar::ReadoutKind::Acam);
  EXPECT_EQ(m.crossbar.readout_bits, 8);
  EXPECT_EQ(m.race_array.rows, 8);
  EXPECT_EQ(m.race_array.cells, 50);
  EXPECT_EQ(m.race_arrays_per_unit, 4);
  EXPECT_EQ(m.softmax, FunctionEngine::Acam);
  EXPECT_EQ(m.data_matmul, DataMatMulEngine::Acam);
  EXPECT_EQ(options_with({}, "raceit-adc").crossbar.readout, xbar::ReadoutKind::Adc);
  const MappingOptions b = options_with({"mapping.weight_encoding=bit-slice", "crossbar.bits_per_cell=2", "crossbar.dac_bits=8"});
  EXPECT_EQ(b.crossbar.encoding, xbar::WeightEncoding::BitSlice);
  EXPECT_EQ(b.crossbar.slice_bits, 2);
  EXPECT_EQ(b.crossbar.inputs, xbar::InputScheme::MultiLevel);
}

TEST(MappingOptions, BadConfigurationsNameTheKey) {
  const std::string dac = error_of([] { options_with({"crossbar.dac_bits=4"}); });
  EXPECT_NE(dac.find("--set: key 'crossbar.dac_bits'"), std::string::npos) << dac;
  // 9-bit weights need 8 magnitude bits per cell; raceit.yaml's cells hold 7.
  const std::string cells = error_of([] { options_with({"mapping.weight_bits=9"}); });
  EXPECT_NE(cells.find("raceit.yaml:"), std::string::npos) << cells;  // the file and line the value came from
  EXPECT_NE(cells.find("key 'crossbar.bits_per_cell'"), std::string::npos) << cells;
  const std::string bits = error_of([] { options_with({"mapping.activation_bits=10"}); });
  EXPECT_NE(bits.find("--set: key 'mapping.activation_bits': the 2-var RACE multiply"), std::string::npos) << bits;
  const std::string unknown = error_of([] { options_with({"mapping.softmaks=digital"}); });
  EXPECT_NE(unknown.find("--set: unknown key 'mapping.softmaks'"), std::string::npos) << unknown;
  const std::string choice = error_of([] { options_with({"mapping.fuse=maybe"}); });
  EXPECT_NE(choice.find("'maybe' is not one of on, off"), std::string::npos) << choice;
  const std::string gpu = error_of([] { mapping_options(compiler::load_arch(arch::arch_path("h100"))); });
  EXPECT_NE(gpu.find("'h100' is a GPU architecture"), std::string::npos) << gpu;
  // ISAAC has no RACE units; its preset maps everything else digitally.
  const std::string no_race = error_of([] { options_with({"mapping.softmax=acam"}, "isaac"); });
  EXPECT_NE(no_race.find("key 'tile.race_units'"), std::string::npos) << no_race;
  EXPECT_NO_THROW(options_with({"mapping.function=digital", "mapping.softmax=digital", "mapping.layernorm=digital",
                                "mapping.data_matmul=crossbar-write", "crossbar.bits_per_cell=2",
                                "mapping.weight_encoding=bit-slice"},
                               "isaac"));
}

TEST(Compiler, LowersTheDigitsVitAsDesignSays) {
  if (!have_digits()) GTEST_SKIP();
  const Program& p = digits().program;
  std::map<Engine, int> engines;
  for (const auto& op : p.ops) ++engines[op.engine()];
  EXPECT_EQ(engines[Engine::Crossbar], 10);       // patch embedding, QKV, output, FFN1, FFN2 ×2, head
  EXPECT_EQ(engines[Engine::AcamNorm], 5);
  EXPECT_EQ(engines[Engine::AcamSoftmax], 2);
  EXPECT_EQ(engines[Engine::AcamDataMatMul], 4);  // Q·Kᵀ and softmax·V per layer
  EXPECT_EQ(engines[Engine::AcamFunction], 2);    // GELU
  EXPECT_EQ(engines[Engine::Folded], 2);          // 1/√d_k
  for (std::size_t i = 0; i < p.ops.size(); ++i) {
    const LoweredOp& op = p.ops[i];
    if (op.engine() == Engine::Folded) {
      EXPECT_EQ(p.ops[op.partner].engine(), Engine::AcamSoftmax);
      EXPECT_NEAR(std::get<SoftmaxOp>(p.ops[op.partner].detail).input_scale, 1 / std::sqrt(8.0), 1e-6);  // √8 in float
    }
    if (const auto* x = std::get_if<CrossbarOp>(&op.detail)) {
      EXPECT_GT(x->config.full_scale, 0);
      EXPECT_LT(x->config.full_scale, 1);  // calibrated well below the worst case
      EXPECT_GT(op.cells_programmed, 0u);
      EXPECT_GT(op.events.acam_searches, 0u);
    }
    if (const auto* s = std::get_if<SoftmaxOp>(&op.detail)) {
      EXPECT_DOUBLE_EQ(s->exp.out_range.hi, 1.0);
      EXPECT_GE(s->reciprocal.x.range.lo, 1.0);  // a row sum of exp(x − max) is at least 1
    }
  }
  EXPECT_EQ(p.chips, 1);
  EXPECT_EQ(p.calibration.samples, 8);
  EXPECT_EQ(p.calibration.split, "train");
}

// mapping.function_bits: the output bits of every element-wise lookup, the activation bits by default.
TEST(Compiler, FunctionBitsSetTheLookupOutput) {
  EXPECT_EQ(options_with({}).function_bits, 8);
  EXPECT_EQ(options_with({"mapping.activation_bits=6"}).function_bits, 6);
  EXPECT_EQ(options_with({"mapping.function_bits=5"}).function_bits, 5);
  const std::string range = error_of([] { options_with({"mapping.function_bits=13"}); });
  EXPECT_NE(range.find("--set: key 'mapping.function_bits': must be a whole number 0…12, got 13"), std::string::npos)
      << range;
  if (!have_digits()) GTEST_SKIP();
  const auto output_bits = [](const Program& p) {
    std::vector<int> bits;
    for (const auto& op : p.ops)
      if (const auto* f = std::get_if<FunctionOp>(&op.detail)) {
        EXPECT_EQ(f->program.x.bits, 8);  // the input stays an activation
        bits.push_back(f->program.out_bits);
      }
    return bits;
  };
  EXPECT_EQ(output_bits(digits().program), (std::vector<int>{8, 8}));  // the two GELUs
  const exec::CompiledModel five = exec::compile_model({.model = "vit-digits",
                                                        .dataset = "digits",
                                                        .arch = "raceit",
                                                        .overrides = {"mapping.function_bits=5"},
                                                        .calibration_samples = 8,
                                                        .threads = 0,
                                                        .sequence_length = 0,
                                                        .calibration_data = "",
                                                        .dims = {},
                                                        .progress = {}});
  EXPECT_EQ(output_bits(five.program), (std::vector<int>{5, 5}));
}

TEST(Compiler, PlacementCountsEveryArray) {
  if (!have_digits()) GTEST_SKIP();
  const Program& p = digits().program;
  const MappingOptions m = options_with({});
  int crossbars = 0, race = 0, tile_crossbars = 0, tile_race = 0;
  for (const auto& op : p.ops) {
    crossbars += op.placement.crossbars;
    race += op.placement.race_arrays;
    if (const auto* x = std::get_if<CrossbarOp>(&op.detail)) {
      EXPECT_EQ(op.placement.crossbars, x->layout.arrays);
    }
    // Its programs: one copy of each is its arrays; each is served by a pool of copies of it.
    const auto programs = race_demand(op, m.race_array);
    ASSERT_EQ(op.placement.race_pools.size(), programs.size()) << op.node;
    for (std::size_t k = 0; k < programs.size(); ++k) {
      const RacePool& pool = p.race_pools.at(static_cast<std::size_t>(op.placement.race_pools[k]));
      EXPECT_EQ(pool.arrays, programs[k].arrays) << op.node;
      EXPECT_GE(pool.copies, 1) << op.node;
    }
    EXPECT_EQ(op.placement.race_arrays, race_use(op, m.race_array).arrays) << op.node;
  }
  race = 0;
  for (const RacePool& pool : p.race_pools) race += pool.arrays * pool.copies;
  for (const auto& t : p.tiles) {
    EXPECT_LE(t.crossbars, m.crossbars_per_tile);
    EXPECT_LE(t.race_arrays, m.race_units_per_tile * m.race_arrays_per_unit);
    tile_crossbars += t.crossbars;
    tile_race += t.race_arrays;
  }
  EXPECT_EQ(tile_crossbars, crossbars);
  EXPECT_EQ(tile_race, race);
  EXPECT_GT(race, 0);
}

TEST(ProgramFile, WrittenAndReadBackIsIdentical) {
  if (!have_digits()) GTEST_SKIP();
  const Program& p = digits().program;
  const std::string path = temp("raceit_program_test.json");
  write_program(path, p);
  EXPECT_EQ(read_program(path), p);
  EXPECT_EQ(program_from_json(to_json(p)), p);
  const std::string text = to_text(p);
  for (const char* s : {"acam-softmax", "acam-norm", "crossbar", "folded into the input quantiser", "placement"})
    EXPECT_NE(text.find(s), std::string::npos) << s;
}

TEST(ProgramFile, ErrorsNameTheFileAndField) {
  if (!have_digits()) GTEST_SKIP();
  auto json = to_json(digits().program);
  const std::string path = temp("raceit_program_bad.json");
  auto write = [&](const nlohmann::json& j) { std::ofstream(path) << j.dump(); };
  json["version"] = 99;
  write(json);
  EXPECT_NE(error_of([&] { read_program(path); }).find(path + ": program version 99 cannot be read"), std::string::npos);
  json = to_json(digits().program);
  json["ops"][15]["detail"].erase("input");
  write(json);
  const std::string missing = error_of([&] { read_program(path); });
  EXPECT_NE(missing.find("missing field '$.ops[15].detail.input'"), std::string::npos) << missing;
  std::ofstream(path) << "{\"format\": \"something else\"}";
  EXPECT_NE(error_of([&] { read_program(path); }).find("not a raceit program"), std::string::npos);
  std::ofstream(path) << "{ truncated";
  EXPECT_NE(error_of([&] { read_program(path); }).find(path + ": not JSON"), std::string::npos);
  EXPECT_NE(error_of([&] { read_program(temp("raceit_no_such_program.json")); }).find("cannot open"), std::string::npos);
}

// The index of the first operator whose detail is of `kind`.
std::size_t first_op(const nlohmann::json& program, const std::string& kind) {
  for (std::size_t k = 0; k < program["ops"].size(); ++k)
    if (program["ops"][k]["detail"]["kind"] == kind) return k;
  ADD_FAILURE() << "no " << kind << " operator";
  return 0;
}

// A program file is checked against what the compiler guarantees: each edit below was accepted
// before and ran for 40 s and 4.2 GB (a 31-bit ACAM input), or silently lost accuracy (an
// inverted range, a zero-scale quantiser), or crashed (a deeply nested fused function).
TEST(ProgramFile, BrokenInvariantsAreErrorsNamingTheField) {
  if (!have_digits()) GTEST_SKIP();
  const auto original = to_json(digits().program);
  auto error_after = [&](const std::function<void(nlohmann::json&)>& edit) {
    auto j = original;
    edit(j);
    return error_of([&] { program_from_json(j); });
  };
  const auto f = first_op(original, "function"), x = first_op(original, "crossbar"), s = first_op(original, "softmax");
  const std::string fn = fmt::format("$.ops[{}].detail.program", f);
  EXPECT_NE(error_after([&](auto& j) { j["ops"][f]["detail"]["program"]["x"]["bits"] = 31; }).find(fn + ".x.bits': must be 1…12, got 31"),
            std::string::npos);
  EXPECT_NE(error_after([&](auto& j) {
              auto& r = j["ops"][f]["detail"]["program"]["x"]["range"];
              std::swap(r[0], r[1]);
            }).find(fn + ".x.range': range"),
            std::string::npos);
  // Beyond the ACAM compiler's ±1e30 (the error metrics squared such values to inf).
  const std::string huge = error_after([&](auto& j) { j["ops"][f]["detail"]["program"]["x"]["range"][1] = 1e300; });
  EXPECT_NE(huge.find(fn + ".x.range': range ["), std::string::npos) << huge;
  EXPECT_NE(huge.find(", 1e+300] is beyond ±1e+30"), std::string::npos) << huge;
  EXPECT_NE(error_after([&](auto& j) { j["ops"][f]["detail"]["program"]["out_range"][0] = -2e30; }).find("is beyond ±1e+30"),
            std::string::npos);
  EXPECT_NE(error_after([&](auto& j) { j["ops"][f]["detail"]["program"]["reference"][3] = 1e300; })
                .find(fn + ".reference[3]': 1e+300 is beyond ±1e+30"),
            std::string::npos);
  EXPECT_NE(error_after([&](auto& j) {
              auto& cell = j["ops"][f]["detail"]["program"]["ranges_per_bit"][0][0];
              cell = {1.5, 0.5};
            }).find("is empty or inverted"),
            std::string::npos);
  EXPECT_NE(error_after([&](auto& j) { j["ops"][f]["detail"]["program"]["table"].erase(0); }).find(fn + ".table': needs one code per input"),
            std::string::npos);
  EXPECT_NE(error_after([&](auto& j) { j["ops"][f]["detail"]["program"]["table"][0] = 1 << 20; }).find("needs more than"),
            std::string::npos);
  EXPECT_NE(error_after([&](auto& j) { j["ops"][x]["detail"]["input"]["scale"] = 0; })
                .find(fmt::format("$.ops[{}].detail.input.scale': must be positive, got 0", x)),
            std::string::npos);
  EXPECT_NE(error_after([&](auto& j) { j["ops"][x]["detail"]["input"]["bits"] = 2.5; }).find("must be an integer"), std::string::npos);
  EXPECT_NE(error_after([&](auto& j) { j["ops"][x]["detail"]["config"]["w_bits"] = 40; }).find("w_bits must be 2…16"),
            std::string::npos);
  EXPECT_NE(error_after([&](auto& j) { j["ops"][x]["detail"]["config"]["fused_function"] = std::string(25000, '(') + "x" + std::string(25000, ')'); })
                .find("nested"),
            std::string::npos);
  EXPECT_NE(error_after([&](auto& j) { j["ops"][s]["detail"]["input_scale"] = -1; }).find("must be positive"), std::string::npos);
  EXPECT_NE(error_after([&](auto& j) { j["placement"]["tiles"][0]["ops"][0] = 100000; }).find("is not one of the"),
            std::string::npos);
  // A layout that disagrees with the crossbar config (accepted before: run with one, costed with the other).
  const std::string layout = error_after([&](auto& j) { j["ops"][x]["detail"]["layout"]["cells_per_weight"] = 3; });
  EXPECT_NE(layout.find(fmt::format("$.ops[{}].detail.layout.cells_per_weight': 3 does not match the crossbar config, which "
                                    "gives 4", x)), std::string::npos) << layout;
  EXPECT_NE(error_after([&](auto& j) { j["ops"][x]["detail"]["config"]["rows"] = 3; }).find("does not match the crossbar config"),
            std::string::npos);
  EXPECT_NE(error_after([&](auto& j) { j["ops"][x]["placement"]["first_tile"] = 1000000000; })
                .find(fmt::format("$.ops[{}].placement.first_tile': tiles 1000000000 to", x)),
            std::string::npos);
  EXPECT_NE(error_after([&](auto& j) { j["placement"]["race_pools"][0]["first_tile"] = -1; }).find("race_pools[0].first_tile"),
            std::string::npos);
}

// nlohmann keeps the last of a repeated key: the first value was lost without a word.
TEST(ProgramFile, AKeyGivenTwiceIsAnError) {
  if (!have_digits()) GTEST_SKIP();
  std::string text = to_json(digits().program).dump();
  const std::string bits = fmt::format("\"activation_bits\":{}", digits().program.activation_bits);
  ASSERT_NE(text.find(bits), std::string::npos);
  text.replace(text.find(bits), bits.size(), bits + ",\"activation_bits\":4");
  const std::string e = error_of([&] { parse_program(text, "twice.json"); });
  EXPECT_NE(e.find("twice.json: not a valid program: key 'activation_bits' appears twice in one object"), std::string::npos) << e;
}

TEST(ProgramFile, AKilledOrFailedWriteLeavesTheOldProgram) {
  if (!have_digits()) GTEST_SKIP();
  const std::string path = temp("raceit_program_kept.json");
  write_program(path, digits().program);
  EXPECT_THROW(write_program(temp("raceit_no_such_folder/p.json"), digits().program), Error);
  EXPECT_THROW(write_program("/dev/full", digits().program), Error);
  EXPECT_EQ(read_program(path), digits().program);
}

TEST(ProgramFile, ChecksumCatchesChangedWeights) {
  if (!have_digits()) GTEST_SKIP();
  const auto& c = digits();
  EXPECT_NO_THROW(check_model(c.program, c.graph));
  model::Graph changed = c.graph;
  changed.initializers.at("onnx::MatMul_246").floats()[3] *= 2;
  EXPECT_NE(error_of([&] { check_model(c.program, changed); }).find("weights checksum"), std::string::npos);
}

TEST(Lowering, FunctionsNotFiniteOnTheirRangeFallBackToDigital) {
  model::Graph g;
  g.name = g.source = "reciprocal";
  g.inputs = {"x"};
  g.values["x"] = {DType::Float32, {-1, 4}};
  g.values["y"] = {DType::Float32, {-1, 4}};
  g.nodes.push_back({"r", model::OpType::Reciprocal, {"x"}, {"y"}, {}, "test"});
  g.outputs = {"y"};
  Calibration c;
  c.samples = 1;
  c.ranges = {{"x", {0.0, 1.0}}, {"y", {1.0, 10.0}}};  // 1/x at the grid point x = 0
  c.shapes = {NodeShapes{{{1, 4}}, {{1, 4}}}};
  const auto ops = lower(g, c, options_with({}));
  EXPECT_EQ(ops[0].engine(), Engine::Digital);
  EXPECT_NE(ops[0].note.find("not finite"), std::string::npos) << ops[0].note;
  EXPECT_EQ(elementwise_function(g.nodes[0], g), "reciprocal");
}

// Two functions with the same program share one pool; a third has its own. 2 tiles × 4 arrays,
// every 4-bit program on one 8×50 array (≤ 8 ranges per bit). Lookups 320 + 150 on A, 100 on B;
// the 6 spare arrays go, one at a time, to the pool with the most lookups per copy:
// A 470→235→156.7→117.5→94, B 100→50, A 94→78.3: A 6 copies, B 2. Per operator (320, 150 and
// 100 on their own pools, 5 spare): f1 320→160→106.7, f2 150→75, f1 106.7→80, g 100→50: 4, 2, 2.
TEST(Compiler, IdenticalProgramsShareOnePoolOfCopies) {
  MappingOptions m;
  m.race_array = {8, 50};
  m.race_arrays_per_unit = 4;
  m.race_units_per_tile = 1;
  m.crossbars_per_tile = 1;
  m.tiles_per_chip = 2;
  const acam::InputAxis x{.bits = 4, .range = {0, 1}};
  const acam::AcamProgram a = acam::compile_1var(acam::resolve_function("x*x"), x, {.bits = 4, .range = std::nullopt});
  const acam::AcamProgram b = acam::compile_1var(acam::resolve_function("1-x"), x, {.bits = 4, .range = std::nullopt});
  ASSERT_EQ(acam::pack(a, m.race_array).arrays, 1);
  ASSERT_EQ(acam::pack(b, m.race_array).arrays, 1);
  const auto function = [](const std::string& name, const acam::AcamProgram& program, std::uint64_t lookups) {
    LoweredOp op;
    op.node = name;
    op.detail = FunctionOp{program};
    op.events.race_1var_lookups = lookups;
    return op;
  };
  std::vector<LoweredOp> ops = {function("f1", a, 320), function("f2", a, 150), function("g", b, 100)};
  const PlacementResult shared = place(ops, m);
  ASSERT_EQ(shared.race_pools.size(), 2u);
  EXPECT_EQ(shared.race_pools[0].copies, 6);
  EXPECT_EQ(shared.race_pools[0].lookups, 470u);
  EXPECT_EQ(shared.race_pools[1].copies, 2);
  EXPECT_EQ(ops[0].placement.race_pools, std::vector<int>{0});
  EXPECT_EQ(ops[1].placement.race_pools, std::vector<int>{0});
  EXPECT_EQ(ops[2].placement.race_pools, std::vector<int>{1});
  EXPECT_EQ(ops[0].placement.first_tile, -1);  // a RACE op holds no tiles of its own
  // A fills tile 0 and half of tile 1; B the rest of tile 1.
  EXPECT_EQ(shared.race_pools[0].first_tile, 0);
  EXPECT_EQ(shared.race_pools[0].tiles, 2);
  EXPECT_EQ(shared.race_pools[1].first_tile, 1);
  EXPECT_EQ(shared.race_pools[1].tiles, 1);
  ASSERT_EQ(shared.tiles.size(), 2u);
  EXPECT_EQ(shared.tiles[0].ops, (std::vector<std::int64_t>{0, 1}));
  EXPECT_EQ(shared.tiles[1].ops, (std::vector<std::int64_t>{0, 1, 2}));
  EXPECT_EQ(shared.chips, 1);
  m.race_share = false;
  const PlacementResult own = place(ops, m);
  ASSERT_EQ(own.race_pools.size(), 3u);
  EXPECT_EQ(own.race_pools[0].copies, 4);
  EXPECT_EQ(own.race_pools[1].copies, 2);
  EXPECT_EQ(own.race_pools[2].copies, 2);
  EXPECT_EQ(ops[1].placement.race_pools, std::vector<int>{1});
}

}  // namespace raceit::compiler
