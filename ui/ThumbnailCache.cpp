// Asynchronous thumbnails.
#include "core/Error.h"
#include "ui/ThumbnailCache.h"

#include "core/image/ImageDecoder.h"

#include <QCoreApplication>
#include <QFuture>
#include <QtConcurrent/QtConcurrentRun>

#include <exception>

namespace lookalike::ui {

namespace {

constexpr int kMaxQueued = 256; // older requests beyond this are dropped (scrolled past)

struct Decoded {
    QString path;
    QImage image;
    QString error;
};

QImage toQImage(const RgbImage &rgb)
{
    return QImage(rgb.pixels.data(), rgb.width, rgb.height, rgb.width * 3, QImage::Format_RGB888).copy();
}

} // namespace

ThumbnailCache::ThumbnailCache(int maxSide, qint64 capacityBytes, QObject *parent)
    : QObject(parent)
    , m_maxSide(maxSide)
    , m_cache(capacityBytes)
{
    m_pool.setMaxThreadCount(2);
}

ThumbnailCache::~ThumbnailCache()
{
    m_queue.clear();
    m_pool.waitForDone();
}

QImage ThumbnailCache::loadFull(const QString &path, QString *error)
{
    try {
        return toQImage(decodeImageFile(path.toStdString(), ExifOrientation::Apply));
    } catch (const std::exception &e) {
        if (error)
            *error = QString::fromStdString(oneLineMessage(e));
        return {};
    }
}

QImage ThumbnailCache::thumbnail(const QString &path)
{
    if (const QImage *image = m_cache.object(path))
        return *image;
    if (path.isEmpty() || m_failures.contains(path))
        return {};
    if (m_pending.contains(path)) {
        // Asked again: it is in view now, so serve it before older requests.
        if (const qsizetype i = m_queue.indexOf(path); i >= 0) {
            m_queue.removeAt(i);
            m_queue.append(path);
        }
        return {};
    }
    m_pending.insert(path);
    m_queue.append(path);
    while (m_queue.size() > kMaxQueued)
        m_pending.remove(m_queue.takeFirst());
    startNext();
    return {};
}

void ThumbnailCache::startNext()
{
    while (m_running < m_pool.maxThreadCount() && !m_queue.isEmpty()) {
        const QString path = m_queue.takeLast();
        ++m_running;
        const int side = m_maxSide;
        QtConcurrent::run(&m_pool, [path, side] {
            Decoded d{path, {}, {}};
            QString error;
            const QImage full = loadFull(path, &error);
            if (full.isNull())
                d.error = error;
            else
                d.image = full.width() > side || full.height() > side
                    ? full.scaled(side, side, Qt::KeepAspectRatio, Qt::SmoothTransformation)
                    : full;
            return d;
        }).then(this, [this](const Decoded &d) {
            --m_running;
            m_pending.remove(d.path);
            if (d.image.isNull())
                m_failures.insert(d.path, d.error);
            else
                m_cache.insert(d.path, new QImage(d.image), static_cast<qsizetype>(d.image.sizeInBytes()));
            Q_EMIT thumbnailReady(d.path);
            startNext();
        });
    }
}

void ThumbnailCache::waitForIdle()
{
    while (m_running > 0 || !m_queue.isEmpty())
        QCoreApplication::processEvents(QEventLoop::AllEvents, 10);
}

} // namespace lookalike::ui
