// Images for the views, decoded on worker threads (never on the GUI thread) and kept in a
// bounded cache. Display images apply EXIF orientation (the model's input does not). The
// newest requests are served first and old ones dropped, so fast scrolling through a long list
// only decodes what comes into view. Files that cannot be shown keep the reason, for the
// placeholder.
#pragma once

#include <QCache>
#include <QHash>
#include <QImage>
#include <QObject>
#include <QSet>
#include <QStringList>
#include <QThreadPool>

namespace lookalike::ui {

class ThumbnailCache : public QObject {
    Q_OBJECT
public:
    // Thumbnails fit in maxSide x maxSide (the query pane shows them at up to 360 px); the cache holds about
    // `capacityBytes` of them.
    explicit ThumbnailCache(int maxSide = 360, qint64 capacityBytes = 256 << 20, QObject *parent = nullptr);
    ~ThumbnailCache() override;

    // The thumbnail if it is ready (a null image otherwise: loading starts, thumbnailReady()
    // follows, or failure() gets the reason).
    QImage thumbnail(const QString &path);
    // Why `path` cannot be shown ("file not found", "not an image"...), empty if it can or is loading.
    QString failure(const QString &path) const { return m_failures.value(path); }
    bool isLoading(const QString &path) const { return m_pending.contains(path); }
    // The whole image, decoded now (for the full-size view); null and `error` set on failure.
    static QImage loadFull(const QString &path, QString *error);

    // Waits until no request is queued or running (for tests and benchmarks).
    void waitForIdle();

Q_SIGNALS:
    void thumbnailReady(const QString &path);

private:
    void startNext();

    int m_maxSide;
    QCache<QString, QImage> m_cache;
    QHash<QString, QString> m_failures;
    QSet<QString> m_pending; // queued or running
    QStringList m_queue; // queued, newest last
    int m_running = 0;
    QThreadPool m_pool;
};

} // namespace lookalike::ui
