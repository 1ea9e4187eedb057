// mount(8) and umount(8) on a scratch folder (see ScratchMount.h).
#include "support/ScratchMount.h"

#include "support/RefData.h"

#include <QProcess>

#include <unistd.h>

namespace testsupport {

ScratchMount::ScratchMount(const QString &size)
    : dir(scratchDir(QStringLiteral("mount")))
{
    mounted = ::geteuid() == 0
        && QProcess::execute(QStringLiteral("mount"), {QStringLiteral("-t"), QStringLiteral("tmpfs"), QStringLiteral("-o"),
                                                       QStringLiteral("size=") + size, QStringLiteral("tmpfs"), dir})
            == 0;
}

ScratchMount::~ScratchMount()
{
    if (mounted)
        QProcess::execute(QStringLiteral("umount"), {QStringLiteral("-l"), dir});
}

bool ScratchMount::remountReadOnly() const
{
    return QProcess::execute(QStringLiteral("mount"), {QStringLiteral("-o"), QStringLiteral("remount,ro"), dir}) == 0;
}

} // namespace testsupport
