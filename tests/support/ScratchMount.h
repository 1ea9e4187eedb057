// A small tmpfs of the test's own, for cases a normal folder cannot make: a full disk, a
// read-only file system (read-only even for root). Needs root and mount(8); `mounted` is false
// elsewhere and the test skips. Unmounted when destroyed.
#pragma once

#include <QString>

namespace testsupport {

struct ScratchMount {
    explicit ScratchMount(const QString &size); // "2m", "16m"
    ~ScratchMount();
    ScratchMount(const ScratchMount &) = delete;
    ScratchMount &operator=(const ScratchMount &) = delete;
    bool remountReadOnly() const;

    QString dir;
    bool mounted = false;
};

} // namespace testsupport
