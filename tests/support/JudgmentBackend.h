// Which judgment database the tests use. Tests registered a second time with
// LOOKALIKE_TEST_BACKEND=postgresql (see tests/CMakeLists.txt) keep their judgments in a fresh
// database of the throw-away PostgreSQL cluster at LOOKALIKE_TEST_PG_URL; otherwise in the
// project's own SQLite file.
#pragma once

#include "core/project/Project.h"

#include <string>

namespace testsupport {

bool testingPostgres();
// A new, empty database in the test cluster (one per call, so test cases never share one);
// returns its URL. Throws if LOOKALIKE_TEST_PG_URL is unset or the cluster is unreachable.
std::string freshPostgresDatabase();
// Moves a new project's judgments to a fresh PostgreSQL database when testing PostgreSQL.
void useTestJudgmentBackend(lookalike::Project &project);

} // namespace testsupport
