#pragma once
// The program file: one JSON document (nlohmann-json) that says what it is ("format":
// "raceit-program", "version") and spells every field out by name; docs/compiler.md documents the
// schema. Reading a written program gives an identical Program. ±infinity (open ACAM ranges) is
// written as null.
#include <string>
#include <string_view>

#include <nlohmann/json.hpp>

#include "raceit/compiler/program.hpp"

namespace raceit::compiler {

nlohmann::json to_json(const Program& program);
// Error(Parse) naming the field for a document that is not a program of a version this build reads.
Program program_from_json(const nlohmann::json& document);

// Error(Io) when the file cannot be written or read; Error(Parse) naming the file otherwise.
void write_program(const std::string& path, const Program& program);
Program read_program(const std::string& path);
// The same from a file's text; `path` names it in errors (the in-memory entry point for fuzzing).
Program parse_program(std::string_view text, const std::string& path);

}  // namespace raceit::compiler
