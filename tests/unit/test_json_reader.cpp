// JsonReader::parse (core/json_reader.h): a key given twice in one object is refused wherever it
// is, named by its object's path and placed in the text; the same key in different objects is not
// a duplicate.
#include <catch2/catch.hpp>

#include <string>

#include "core/errors.h"
#include "core/json_reader.h"

using acceltran::InputError;
using acceltran::JsonReader;

namespace {

// The InputError message of parsing `text` as file "f.json", or "" when it parses.
std::string jsonreader_error(const std::string& text) {
    try {
        JsonReader("f.json", text).parse(text);
    } catch (const InputError& e) {
        return e.what();
    }
    return "";
}

}  // namespace

TEST_CASE("JsonReader refuses a key given twice in one object, at any depth", "[json]") {
    CHECK(jsonreader_error("{\"a\": 1,\n \"b\": 2,\n \"a\": 3}") == "f.json: top level: duplicate key 'a' (at line 3, column 2)");
    CHECK(jsonreader_error("{\"x\": {\"a\": 1, \"a\": 2}}") == "f.json: x: duplicate key 'a' (at line 1, column 21)");
    CHECK(jsonreader_error("{\"x\": [{\"a\": 1}, {\"b\": [0, {\"c\": 1, \"c\": 2}]}]}") ==
          "f.json: x[1].b[1]: duplicate key 'c' (at line 1, column 42)");
    // The same key in sibling or nested objects is no duplicate.
    CHECK(jsonreader_error("{\"a\": {\"a\": 1}, \"b\": [{\"a\": 1}, {\"a\": 2}]}").empty());
    // A text that does not parse is reported as malformed, duplicate or not.
    CHECK_THAT(jsonreader_error("{\"a\": 1, \"a\": 2, oops"), Catch::Contains("malformed JSON"));
}
