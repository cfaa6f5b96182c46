#include "raceit/sweep/store.hpp"

#include <fmt/format.h>
#include <sqlite3.h>

#include <algorithm>
#include <ctime>
#include <filesystem>
#include <nlohmann/json.hpp>
#include <set>

#include "raceit/core/error.hpp"

namespace raceit::sweep {

namespace {

// Result columns after the setting columns, in order.
const char* const kResultColumns =
    "status TEXT NOT NULL DEFAULT 'pending', error TEXT, latency_s REAL, throughput_inf_per_s REAL, "
    "energy_j REAL, power_w REAL, area_mm2 REAL, chips INTEGER, accuracy_fp32 REAL, accuracy_ideal REAL, "
    "accuracy_mean REAL, accuracy_std REAL, accuracy_per_seed TEXT, seeds TEXT, config_hash TEXT, "
    "tool_version TEXT, started_utc TEXT, seconds REAL, rank INTEGER, detail TEXT";

std::string quoted(const std::string& name) {
  std::string q = "\"";
  for (char c : name) q += c == '"' ? std::string("\"\"") : std::string(1, c);
  return q + "\"";
}

class Statement {
 public:
  Statement(sqlite3* db, const std::string& sql, const std::string& path) : db_(db), path_(path) {
    if (sqlite3_prepare_v2(db, sql.c_str(), -1, &stmt_, nullptr) != SQLITE_OK) fail("prepare");
  }
  ~Statement() { sqlite3_finalize(stmt_); }
  Statement(const Statement&) = delete;
  Statement& operator=(const Statement&) = delete;

  Statement& bind(int i, const std::string& v) {
    sqlite3_bind_text(stmt_, i, v.c_str(), static_cast<int>(v.size()), SQLITE_TRANSIENT);
    return *this;
  }
  Statement& bind(int i, double v) {
    sqlite3_bind_double(stmt_, i, v);
    return *this;
  }
  Statement& bind(int i, std::int64_t v) {
    sqlite3_bind_int64(stmt_, i, v);
    return *this;
  }
  Statement& bind(int i, const std::optional<double>& v) {
    if (v) sqlite3_bind_double(stmt_, i, *v);
    else sqlite3_bind_null(stmt_, i);
    return *this;
  }
  // Steps once: true while there is a row.
  bool step() {
    const int rc = sqlite3_step(stmt_);
    if (rc == SQLITE_ROW) return true;
    if (rc != SQLITE_DONE) fail("step");
    return false;
  }
  void reset() {
    sqlite3_reset(stmt_);
    sqlite3_clear_bindings(stmt_);
  }
  std::string text(int i) const {
    const auto* p = sqlite3_column_text(stmt_, i);
    return p ? reinterpret_cast<const char*>(p) : "";
  }
  bool null(int i) const { return sqlite3_column_type(stmt_, i) == SQLITE_NULL; }
  double real(int i) const { return sqlite3_column_double(stmt_, i); }
  std::optional<double> optional_real(int i) const { return null(i) ? std::nullopt : std::optional(real(i)); }
  std::int64_t integer(int i) const { return sqlite3_column_int64(stmt_, i); }

 private:
  [[noreturn]] void fail(const char* what) const {
    throw Error(ErrorKind::Io, fmt::format("{}: SQLite {} failed: {}", path_, what, sqlite3_errmsg(db_)));
  }
  sqlite3* db_;
  sqlite3_stmt* stmt_ = nullptr;
  std::string path_;
};

void exec(sqlite3* db, const std::string& sql, const std::string& path) {
  char* message = nullptr;
  if (sqlite3_exec(db, sql.c_str(), nullptr, nullptr, &message) != SQLITE_OK) {
    const std::string text = message ? message : sqlite3_errmsg(db);
    sqlite3_free(message);
    throw Error(ErrorKind::Io, fmt::format("{}: {}", path, text));
  }
}

sqlite3* open_db(const std::string& path, int flags) {
  sqlite3* db = nullptr;
  if (sqlite3_open_v2(path.c_str(), &db, flags, nullptr) != SQLITE_OK) {
    const std::string message = db ? sqlite3_errmsg(db) : "out of memory";
    sqlite3_close(db);
    throw Error(ErrorKind::Io, fmt::format("{}: cannot open the sweep store: {}", path, message));
  }
  sqlite3_busy_timeout(db, 60000);
  return db;
}

// Closes the connection unless released (a constructor that throws leaves nothing open).
struct DbGuard {
  sqlite3* db;
  ~DbGuard() { sqlite3_close(db); }
};

bool has_sweep_table(sqlite3* db, const std::string& path) {
  Statement s(db, "SELECT count(*) FROM sqlite_master WHERE type='table' AND name='sweep'", path);
  s.step();
  return s.integer(0) > 0;
}

std::string meta(sqlite3* db, const std::string& key, const std::string& path) {
  Statement s(db, "SELECT value FROM sweep WHERE key = ?", path);
  s.bind(1, key);
  if (!s.step()) throw Error(ErrorKind::Io, fmt::format("{}: not a sweep store (no '{}' in its sweep table)", path, key));
  return s.text(0);
}

std::vector<std::string> columns_of(const SweepSpec& spec) {
  std::set<std::string> keys;
  for (const Point& p : spec.points)
    for (const auto& [k, v] : p.values) keys.insert(k);
  // model and arch first, then the axes in the spec's order, then the fixed settings.
  std::vector<std::string> columns = {"model", "arch"};
  for (const auto& a : spec.axes)
    if (a != "model" && a != "arch") columns.push_back(a);
  for (const auto& k : keys)
    if (std::find(columns.begin(), columns.end(), k) == columns.end()) columns.push_back(k);
  return columns;
}

std::string utc_now() {
  const std::time_t t = std::time(nullptr);
  std::tm tm{};
  gmtime_r(&t, &tm);
  char buffer[32];
  std::strftime(buffer, sizeof buffer, "%Y-%m-%dT%H:%M:%SZ", &tm);
  return buffer;
}

void create(sqlite3* db, const SweepSpec& spec, const std::string& tool_version, const std::string& path) {
  const std::vector<std::string> columns = columns_of(spec);
  std::string setting_columns;
  for (const auto& c : columns) setting_columns += quoted(c) + " NUMERIC, ";
  exec(db, "CREATE TABLE sweep (key TEXT PRIMARY KEY, value TEXT NOT NULL)", path);
  exec(db, fmt::format("CREATE TABLE points (idx INTEGER PRIMARY KEY, point_key TEXT NOT NULL UNIQUE, {}{})",
                       setting_columns, kResultColumns),
       path);
  nlohmann::json accuracy = nullptr;
  if (spec.accuracy)
    accuracy = {{"data", spec.accuracy->dataset}, {"limit", spec.accuracy->limit}, {"mode", spec.accuracy->mode},
                {"seeds", spec.accuracy->seeds}, {"seed", spec.accuracy->seed},
                {"calibration", spec.accuracy->calibration}, {"device", spec.accuracy->device}};
  Statement m(db, "INSERT INTO sweep (key, value) VALUES (?, ?)", path);
  for (const auto& [k, v] : std::vector<std::pair<std::string, std::string>>{
           {"spec_path", spec.path},
           {"spec_text", spec.text},
           {"plan_hash", spec.plan_hash()},
           {"axes", nlohmann::json(spec.axes).dump()},
           {"columns", nlohmann::json(columns).dump()},
           {"accuracy", accuracy.dump()},
           {"points", std::to_string(spec.points.size())},
           {"tool_version", tool_version},
           {"created_utc", utc_now()}}) {
    m.bind(1, k).bind(2, v).step();
    m.reset();
  }
  std::string names = "idx, point_key", marks = "?, ?";
  for (const auto& c : columns) {
    names += ", " + quoted(c);
    marks += ", ?";
  }
  Statement insert(db, fmt::format("INSERT INTO points ({}) VALUES ({})", names, marks), path);
  for (std::size_t i = 0; i < spec.points.size(); ++i) {
    const Point& p = spec.points[i];
    insert.bind(1, static_cast<std::int64_t>(i)).bind(2, p.key());
    for (std::size_t c = 0; c < columns.size(); ++c) {
      const auto it = p.values.find(columns[c]);
      if (it != p.values.end()) insert.bind(static_cast<int>(c) + 3, it->second);
    }
    insert.step();
    insert.reset();
  }
}

// The store was made for another plan: say how it differs.
[[noreturn]] void refuse(sqlite3* db, const SweepSpec& spec, const std::string& path) {
  std::set<std::string> stored;
  Statement s(db, "SELECT point_key FROM points", path);
  while (s.step()) stored.insert(s.text(0));
  std::size_t missing = 0;
  for (const Point& p : spec.points) missing += stored.count(p.key()) == 0;
  throw Error(ErrorKind::Config,
              fmt::format("{} holds another sweep (from {}, {} points, plan {}); {} gives {} points (plan {}), {} of "
                          "them not in the store{}: resuming needs the same points and accuracy settings; use another "
                          "--store, or delete {} to start over",
                          path, meta(db, "spec_path", path), stored.size(), meta(db, "plan_hash", path), spec.path,
                          spec.points.size(), spec.plan_hash(), missing,
                          missing == 0 ? " (the accuracy settings or the point count differ)" : "", path));
}

}  // namespace

Store::Store(const std::string& path, const SweepSpec& spec, const std::string& tool_version)
    : path_(path), tool_version_(tool_version) {
  sqlite3* db = open_db(path, SQLITE_OPEN_READWRITE | SQLITE_OPEN_CREATE);
  DbGuard guard{db};
  // WAL: a killed writer leaves the last committed state, and readers (reports) do not block it.
  {
    Statement wal(db, "PRAGMA journal_mode=WAL", path);
    wal.step();
    if (wal.text(0) != "wal") throw Error(ErrorKind::Io, fmt::format("{}: is not a sweep store (SQLite database expected)", path));
  }
  exec(db, "PRAGMA synchronous=NORMAL", path);
  exec(db, "BEGIN IMMEDIATE", path);
  try {
    if (!has_sweep_table(db, path)) {
      Statement tables(db, "SELECT count(*) FROM sqlite_master", path);
      tables.step();
      if (tables.integer(0) > 0)
        throw Error(ErrorKind::Io, fmt::format("{}: an SQLite database that is not a sweep store; choose another --store", path));
      create(db, spec, tool_version, path);
    } else if (meta(db, "plan_hash", path) != spec.plan_hash()) {
      refuse(db, spec, path);
    }
    exec(db, "COMMIT", path);
  } catch (...) {
    sqlite3_exec(db, "ROLLBACK", nullptr, nullptr, nullptr);
    throw;
  }
  db_ = db;
  guard.db = nullptr;
}

Store::~Store() { sqlite3_close(db_); }

std::vector<std::size_t> Store::pending() const {
  Statement s(db_, "SELECT idx FROM points WHERE status = 'pending' ORDER BY idx", path_);
  std::vector<std::size_t> indices;
  while (s.step()) indices.push_back(static_cast<std::size_t>(s.integer(0)));
  return indices;
}

void Store::record(const PointResult& r) {
  Statement s(db_,
              "UPDATE points SET status = ?, error = ?, latency_s = ?, throughput_inf_per_s = ?, energy_j = ?, "
              "power_w = ?, area_mm2 = ?, chips = ?, accuracy_fp32 = ?, accuracy_ideal = ?, accuracy_mean = ?, "
              "accuracy_std = ?, accuracy_per_seed = ?, seeds = ?, config_hash = ?, tool_version = ?, "
              "started_utc = ?, seconds = ?, rank = ?, detail = ? WHERE idx = ? AND status = 'pending'",
              path_);
  s.bind(1, std::string(r.ok ? "done" : "error")).bind(2, r.error);
  if (r.ok) {
    const report::PointMetrics& m = r.metrics;
    s.bind(3, m.latency).bind(4, m.throughput).bind(5, m.energy).bind(6, m.power).bind(7, m.area * 1e6);
    s.bind(8, static_cast<std::int64_t>(m.chips));
    s.bind(9, m.accuracy_fp32).bind(10, m.accuracy_ideal).bind(11, m.accuracy_mean).bind(12, m.accuracy_std);
    if (!m.accuracy_per_seed.empty()) s.bind(13, nlohmann::json(m.accuracy_per_seed).dump());
    if (!m.seeds.empty()) s.bind(14, nlohmann::json(m.seeds).dump());
    s.bind(15, r.config_hash).bind(20, m.detail);
  }
  s.bind(16, tool_version_).bind(17, r.started).bind(18, r.seconds).bind(19, static_cast<std::int64_t>(r.rank));
  s.bind(21, static_cast<std::int64_t>(r.index));
  s.step();
}

report::SweepTable read_store(const std::string& path) {
  if (!std::filesystem::exists(path)) throw Error(ErrorKind::Io, fmt::format("{}: no such sweep store", path));
  sqlite3* db = open_db(path, SQLITE_OPEN_READONLY);
  DbGuard guard{db};
  try {
    if (!has_sweep_table(db, path)) throw Error(ErrorKind::Io, fmt::format("{}: not a sweep store (no sweep table)", path));
  } catch (const Error& e) {
    throw Error(ErrorKind::Io, fmt::format("{}: not a sweep store: {}", path, e.what()));
  }
  report::SweepTable c;
  c.source = path;
  c.spec_path = meta(db, "spec_path", path);
  c.spec_text = meta(db, "spec_text", path);
  c.plan_hash = meta(db, "plan_hash", path);
  c.tool_version = meta(db, "tool_version", path);
  c.created = meta(db, "created_utc", path);
  try {
    c.axes = nlohmann::json::parse(meta(db, "axes", path)).get<std::vector<std::string>>();
    c.columns = nlohmann::json::parse(meta(db, "columns", path)).get<std::vector<std::string>>();
    c.accuracy = !nlohmann::json::parse(meta(db, "accuracy", path)).is_null();
  } catch (const nlohmann::json::exception& e) {
    throw Error(ErrorKind::Io, fmt::format("{}: damaged sweep table: {}", path, e.what()));
  }
  std::string names;
  for (const auto& col : c.columns) names += ", CAST(" + quoted(col) + " AS TEXT)";
  Statement s(db,
              fmt::format("SELECT idx, status, error, latency_s, throughput_inf_per_s, energy_j, power_w, area_mm2, "
                          "chips, accuracy_fp32, accuracy_ideal, accuracy_mean, accuracy_std, accuracy_per_seed, seeds, "
                          "config_hash, started_utc, seconds, rank, detail{} FROM points ORDER BY idx",
                          names),
              path);
  while (s.step()) {
    report::SweepRow row;
    report::PointMetrics& m = row.metrics;
    row.index = static_cast<std::size_t>(s.integer(0));
    row.status = s.text(1);
    row.error = s.text(2);
    m.latency = s.real(3);
    m.throughput = s.real(4);
    m.energy = s.real(5);
    m.power = s.real(6);
    m.area = s.real(7) * 1e-6;
    m.chips = static_cast<int>(s.integer(8));
    m.accuracy_fp32 = s.optional_real(9);
    m.accuracy_ideal = s.optional_real(10);
    m.accuracy_mean = s.optional_real(11);
    m.accuracy_std = s.optional_real(12);
    try {
      if (!s.null(13)) m.accuracy_per_seed = nlohmann::json::parse(s.text(13)).get<std::vector<double>>();
      if (!s.null(14)) m.seeds = nlohmann::json::parse(s.text(14)).get<std::vector<std::uint64_t>>();
    } catch (const nlohmann::json::exception& e) {
      throw Error(ErrorKind::Io, fmt::format("{}: point {}: damaged accuracy columns: {}", path, row.index, e.what()));
    }
    row.config_hash = s.text(15);
    row.started = s.text(16);
    row.seconds = s.real(17);
    row.rank = static_cast<int>(s.integer(18));
    m.detail = s.text(19);
    for (std::size_t col = 0; col < c.columns.size(); ++col)
      if (!s.null(20 + static_cast<int>(col))) row.settings[c.columns[col]] = s.text(20 + static_cast<int>(col));
    c.rows.push_back(std::move(row));
  }
  return c;
}

std::string utc_timestamp() { return utc_now(); }

}  // namespace raceit::sweep
