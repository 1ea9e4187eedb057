// The lookalike::Error a call throws, if any, so that a test can check its code and message.
#pragma once

#include "core/Error.h"

#include <optional>

namespace testsupport {

template <typename F> std::optional<lookalike::Error> errorOf(F &&f)
{
    try {
        f();
    } catch (const lookalike::Error &e) {
        return e;
    }
    return std::nullopt;
}

} // namespace testsupport
