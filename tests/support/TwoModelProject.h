// A small evaluation project for tests: the 30-item test catalog, two "precomputed" model
// versions with seeded random 8-d embeddings, 8 queries, frozen lists of depth 10.
#pragma once

#include "core/project/ModelVersion.h"
#include "core/project/Project.h"

#include <QString>

#include <cstdint>
#include <optional>
#include <vector>

namespace testsupport {

struct TwoModelProject {
    std::optional<lookalike::Project> project;
    QString folder;
    std::vector<lookalike::ModelVersion> versions; // "model-a", "model-b"
    std::vector<std::int64_t> queries; // red-0..2, green-0..1, blue-0..2
};

TwoModelProject makeTwoModelProject(unsigned seed = 11);

} // namespace testsupport
