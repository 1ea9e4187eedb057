// The resumable, pipelined catalog embedding job and the import of precomputed embeddings.
#include "core/project/EmbeddingJob.h"

#include "core/Error.h"
#include "core/index/NpyFile.h"
#include "core/image/ImageDecoder.h"
#include "core/project/Project.h"
#include "core/util/SeededRandom.h"
#include "core/util/VectorMath.h"
#include "core/util/RegularFile.h"

#include <chrono>
#include <condition_variable>
#include <fstream>
#include <map>
#include <mutex>
#include <set>
#include <thread>

namespace lookalike {

namespace fs = std::filesystem;
using Clock = std::chrono::steady_clock;

namespace {

// Appends a batch to both side files and records it, in the order that makes a crash at any
// point recoverable: files first (durable), then the database rows that make them count.
class EmbeddingWriter {
public:
    EmbeddingWriter(Project &project, const ModelVersion &version, std::int64_t committedRows)
        : m_project(project)
        , m_version(version)
        , m_raw(NpyAppender::open(rawEmbeddingsFile(project, version), version.dimension, committedRows))
        , m_normalized(NpyAppender::open(normalizedEmbeddingsFile(project, version), version.dimension, committedRows))
        , m_rows(committedRows)
    {
    }

    void write(const FloatMatrix &raw, const std::vector<std::int64_t> &itemIds,
               const std::vector<EmbeddingFailure> &failures)
    {
        if (raw.rows > 0) {
            const FloatMatrix normalized = l2NormalizedRows(raw);
            m_raw.append(raw.data.data(), raw.rows);
            m_normalized.append(normalized.data.data(), normalized.rows);
            m_raw.commit();
            m_normalized.commit();
        }
        recordEmbeddings(m_project, m_version, m_rows, itemIds, failures);
        m_rows += static_cast<std::int64_t>(itemIds.size());
    }

private:
    Project &m_project;
    const ModelVersion &m_version;
    NpyAppender m_raw;
    NpyAppender m_normalized;
    std::int64_t m_rows;
};

// Decoding and preprocessing on worker threads, at most `slots` batches ahead of the consumer.
class BatchPipeline {
public:
    BatchPipeline(const std::vector<ItemToEmbed> &items, const ImageEncoder &encoder, int batchSize, int workers)
        : m_items(items)
        , m_encoder(encoder)
        , m_batchSize(batchSize)
        , m_per(encoder.pixelValueCount())
        , m_slots(kSlots)
    {
        for (std::int64_t b = 0; b < kSlots; ++b)
            resetSlot(b);
        for (int w = 0; w < workers; ++w)
            m_threads.emplace_back([this] { work(); });
    }

    ~BatchPipeline()
    {
        {
            std::lock_guard lock(m_mutex);
            m_stop = true;
        }
        m_cv.notify_all();
        for (auto &t : m_threads)
            t.join();
    }

    std::int64_t batchCount() const
    {
        return (static_cast<std::int64_t>(m_items.size()) + m_batchSize - 1) / m_batchSize;
    }

    struct Ready {
        std::vector<float> pixels; // ok items only, in order
        std::vector<std::int64_t> itemIds;
        std::vector<EmbeddingFailure> failures;
    };

    // Waits for batch `b` (called with b = 0, 1, 2, ... in order) and hands it over.
    Ready take(std::int64_t b)
    {
        std::unique_lock lock(m_mutex);
        Slot &slot = m_slots[static_cast<std::size_t>(b % kSlots)];
        m_cv.wait(lock, [&] { return slot.remaining == 0; });
        Ready ready;
        const std::int64_t first = b * m_batchSize;
        for (std::int64_t i = 0; i < slot.size; ++i) {
            const ItemToEmbed &item = m_items[static_cast<std::size_t>(first + i)];
            if (slot.errors[static_cast<std::size_t>(i)].empty()) {
                const float *p = slot.pixels.data() + i * static_cast<std::int64_t>(m_per);
                ready.pixels.insert(ready.pixels.end(), p, p + m_per);
                ready.itemIds.push_back(item.id);
            } else {
                ready.failures.push_back({item.id, slot.errors[static_cast<std::size_t>(i)]});
            }
        }
        resetSlot(b + kSlots); // the slot is free for the batch kSlots ahead
        m_consumed = b + 1;
        lock.unlock();
        m_cv.notify_all();
        return ready;
    }

private:
    static constexpr std::int64_t kSlots = 3;

    struct Slot {
        std::vector<float> pixels;
        std::vector<std::string> errors;
        std::int64_t size = 0;
        std::int64_t remaining = 0;
    };

    void resetSlot(std::int64_t b) // with the mutex held (or before the threads start)
    {
        Slot &slot = m_slots[static_cast<std::size_t>(b % kSlots)];
        const std::int64_t first = b * m_batchSize;
        slot.size = std::max<std::int64_t>(0, std::min<std::int64_t>(m_batchSize, static_cast<std::int64_t>(m_items.size()) - first));
        slot.remaining = slot.size;
        slot.pixels.resize(static_cast<std::size_t>(slot.size) * m_per);
        slot.errors.assign(static_cast<std::size_t>(slot.size), std::string());
    }

    void work()
    {
        for (;;) {
            std::unique_lock lock(m_mutex);
            if (m_stop || m_next >= static_cast<std::int64_t>(m_items.size()))
                return;
            const std::int64_t i = m_next++;
            const std::int64_t b = i / m_batchSize;
            m_cv.wait(lock, [&] { return m_stop || b < m_consumed + kSlots; });
            if (m_stop)
                return;
            Slot &slot = m_slots[static_cast<std::size_t>(b % kSlots)];
            const std::int64_t pos = i - b * m_batchSize;
            float *out = slot.pixels.data() + pos * static_cast<std::int64_t>(m_per);
            lock.unlock();

            std::string error;
            try {
                m_encoder.preprocess(decodeImageFile(m_items[static_cast<std::size_t>(i)].image), {out, m_per});
            } catch (const std::exception &e) {
                error = e.what();
                if (error.empty())
                    error = "unknown error";
            }

            lock.lock();
            slot.errors[static_cast<std::size_t>(pos)] = std::move(error);
            if (--slot.remaining == 0) {
                lock.unlock();
                m_cv.notify_all();
            }
        }
    }

    const std::vector<ItemToEmbed> &m_items;
    const ImageEncoder &m_encoder;
    const std::int64_t m_batchSize;
    const std::size_t m_per;
    std::vector<Slot> m_slots;
    std::mutex m_mutex;
    std::condition_variable m_cv;
    std::int64_t m_next = 0;
    std::int64_t m_consumed = 0;
    bool m_stop = false;
    std::vector<std::thread> m_threads;
};

} // namespace

EmbeddingSummary embedCatalog(Project &project, const ModelVersion &version, const ImageEncoder &encoder,
                              const EmbeddingOptions &options)
{
    if (encoder.dimension() != version.dimension)
        throwInternalError(__func__, __FILE__, __LINE__, "encoder and model version dimensions differ");
    const auto start = Clock::now();
    if (options.retryFailed)
        forgetEmbeddingFailures(project, version);
    const EmbeddingCounts before = embeddingCounts(project, version);
    const std::int64_t committed = before.embedded;
    const std::int64_t failedBefore = before.failed;
    std::vector<ItemToEmbed> pending = itemsToEmbed(project, version);
    const int batchSize = std::max(1, options.batchSize);
    const std::int64_t allPending = static_cast<std::int64_t>(pending.size());
    if (options.limit >= 0) {
        const std::int64_t rounded = (options.limit + batchSize - 1) / batchSize * batchSize;
        if (rounded < allPending)
            pending.resize(static_cast<std::size_t>(rounded));
    }

    EmbeddingSummary summary;
    EmbeddingWriter writer(project, version, committed);
    const int workers = options.workers > 0 ? options.workers
                                            : static_cast<int>(std::max(1u, std::thread::hardware_concurrency()));
    EmbeddingProgress progress;
    progress.total = committed + failedBefore + allPending;
    progress.done = committed + failedBefore;
    progress.failed = failedBefore;
    {
        BatchPipeline pipeline(pending, encoder, batchSize, workers);
        for (std::int64_t b = 0; b < pipeline.batchCount(); ++b) {
            BatchPipeline::Ready ready = pipeline.take(b);
            const auto count = static_cast<std::int64_t>(ready.itemIds.size());
            const FloatMatrix raw = count > 0 ? encoder.encode(ready.pixels, count) : FloatMatrix(0, version.dimension);
            writer.write(raw, ready.itemIds, ready.failures);

            summary.embeddedThisRun += count;
            summary.failuresThisRun.insert(summary.failuresThisRun.end(), ready.failures.begin(), ready.failures.end());
            progress.done += count + static_cast<std::int64_t>(ready.failures.size());
            progress.failed += static_cast<std::int64_t>(ready.failures.size());
            const double seconds = std::chrono::duration<double>(Clock::now() - start).count();
            const double processed = static_cast<double>(progress.done - committed - failedBefore);
            progress.itemsPerSecond = seconds > 0 ? processed / seconds : 0;
            progress.etaSeconds = progress.itemsPerSecond > 0
                ? static_cast<double>(progress.total - progress.done) / progress.itemsPerSecond
                : 0;
            if (options.onProgress)
                options.onProgress(progress);
            if (options.cancel && options.cancel->load() && b + 1 < pipeline.batchCount()) {
                summary.interrupted = true;
                break;
            }
        }
    }
    summary.embeddedTotal = committed + summary.embeddedThisRun;
    summary.failedTotal = progress.failed;
    summary.pending = progress.total - progress.done;
    summary.seconds = std::chrono::duration<double>(Clock::now() - start).count();
    return summary;
}

EmbeddingSummary embedItems(const std::vector<ItemToEmbed> &items, const ImageEncoder &encoder,
                            const EmbeddingOptions &options, const EmbeddingSink &sink)
{
    const auto start = Clock::now();
    const std::vector<ItemToEmbed> &pending = items;
    const int workers = options.workers > 0 ? options.workers
                                            : static_cast<int>(std::max(1u, std::thread::hardware_concurrency()));
    EmbeddingSummary summary;
    EmbeddingProgress progress;
    progress.total = static_cast<std::int64_t>(pending.size());
    {
        BatchPipeline pipeline(pending, encoder, std::max(1, options.batchSize), workers);
        for (std::int64_t b = 0; b < pipeline.batchCount(); ++b) {
            BatchPipeline::Ready ready = pipeline.take(b);
            const auto count = static_cast<std::int64_t>(ready.itemIds.size());
            const FloatMatrix raw = count > 0 ? encoder.encode(ready.pixels, count) : FloatMatrix(0, encoder.dimension());
            sink(raw, ready.itemIds, ready.failures);
            summary.embeddedThisRun += count;
            summary.failuresThisRun.insert(summary.failuresThisRun.end(), ready.failures.begin(), ready.failures.end());
            progress.done += count + static_cast<std::int64_t>(ready.failures.size());
            progress.failed += static_cast<std::int64_t>(ready.failures.size());
            const double seconds = std::chrono::duration<double>(Clock::now() - start).count();
            progress.itemsPerSecond = seconds > 0 ? static_cast<double>(progress.done) / seconds : 0;
            progress.etaSeconds = progress.itemsPerSecond > 0
                ? static_cast<double>(progress.total - progress.done) / progress.itemsPerSecond
                : 0;
            if (options.onProgress)
                options.onProgress(progress);
            if (options.cancel && options.cancel->load() && b + 1 < pipeline.batchCount()) {
                summary.interrupted = true;
                break;
            }
        }
    }
    summary.embeddedTotal = summary.embeddedThisRun;
    summary.failedTotal = progress.failed;
    summary.pending = progress.total - progress.done;
    summary.seconds = std::chrono::duration<double>(Clock::now() - start).count();
    return summary;
}

PrecomputedImportReport importPrecomputedEmbeddings(Project &project, const ModelVersion &version, const fs::path &npy,
                                                    const fs::path &idsFile)
{
    PrecomputedImportReport report;
    if (!embeddedItemIds(project, version).empty()) {
        report.alreadyImported = true; // same fingerprint (checked at registration): nothing new
        return report;
    }
    requireRegularFile(idsFile, kIdListLimit);
    const FloatMatrix vectors = readNpyMatrix(npy);
    std::ifstream in(idsFile);
    if (!in)
        throw Error(fs::exists(idsFile) ? ErrorCode::FileUnreadable : ErrorCode::FileNotFound, idsFile.string(),
                    "cannot read the ids file");
    std::vector<std::string> ids;
    std::map<std::string, int> firstLine;
    std::string line;
    for (int lineNo = 1; std::getline(in, line); ++lineNo) {
        while (!line.empty() && (line.back() == '\r' || line.back() == ' ' || line.back() == '\t'))
            line.pop_back();
        const auto start = line.find_first_not_of(" \t");
        line = start == std::string::npos ? std::string() : line.substr(start);
        if (line.empty())
            continue;
        if (auto [it, inserted] = firstLine.emplace(line, lineNo); !inserted)
            throw Error(ErrorCode::InvalidArgument, idsFile.string(),
                        "line " + std::to_string(lineNo) + ": duplicate id '" + line + "' (first on line "
                            + std::to_string(it->second) + ")");
        ids.push_back(line);
    }
    if (static_cast<std::int64_t>(ids.size()) != vectors.rows)
        throw Error(ErrorCode::InvalidArgument, idsFile.string(),
                    std::to_string(ids.size()) + " ids but " + npy.filename().string() + " has "
                        + std::to_string(vectors.rows) + " rows");
    if (vectors.cols != version.dimension)
        throwInternalError(__func__, __FILE__, __LINE__, "dimension registered differs from the file");

    const std::map<std::string, std::int64_t> byKey = project.itemIdsByKey();
    FloatMatrix kept(0, vectors.cols);
    std::vector<std::int64_t> itemIds;
    for (std::size_t r = 0; r < ids.size(); ++r) {
        const auto it = byKey.find(ids[r]);
        if (it == byKey.end()) {
            if (report.unknownExamples.size() < 5)
                report.unknownExamples.push_back(ids[r]);
            ++report.unknownIds;
            continue;
        }
        const auto row = vectors.row(static_cast<std::int64_t>(r));
        kept.data.insert(kept.data.end(), row.begin(), row.end());
        ++kept.rows;
        itemIds.push_back(it->second);
    }
    EmbeddingWriter writer(project, version, 0);
    writer.write(kept, itemIds, {});
    report.imported = kept.rows;
    report.catalogItemsWithout = static_cast<std::int64_t>(byKey.size()) - kept.rows;
    return report;
}

} // namespace lookalike
