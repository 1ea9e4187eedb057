// The built-in demo catalog: product photos drawn with OpenCV, deterministically from a seed.
// Twelve product types (mug, t-shirt, sneaker, ...), ten colours, four patterns (solid,
// stripes, dots, checks), a few backgrounds, small variations of pose, scale and lighting,
// sensor noise, and titles with the noise real sellers add ("brand new", sizes, typos). Some
// sellers list the same item twice (the same image bytes), as marketplaces see. Category is
// the product type; colour, pattern and seller are manifest columns (attributes).
//
// Also a hand-crafted image embedding (colour histogram + coarse layout), the kind of classic
// baseline a team compares a learned model against, computed here so the demo has a second
// model version without downloading anything.
#pragma once

#include "core/util/FloatMatrix.h"

#include <cstdint>
#include <filesystem>
#include <functional>
#include <string>
#include <vector>

namespace lookalike {

struct DemoCatalogOptions {
    int items = 2400;
    std::uint64_t seed = 1;
    int imageSize = 160; // square PNG images
};

struct DemoItem {
    std::string id;
    std::string type;
    std::string colour;
    std::string pattern;
    std::string seller;
    std::string title;
    std::filesystem::path image; // relative to the catalog folder
};

// The product types and colours the generator draws (in its order).
const std::vector<std::string> &demoProductTypes();
const std::vector<std::string> &demoColours();

// Writes <folder>/images/*.png and <folder>/catalog.csv (id,image,title,category,colour,
// pattern,seller). The same options give byte-identical files. `progress(done, total)`.
std::vector<DemoItem> writeDemoCatalog(const std::filesystem::path &folder, const DemoCatalogOptions &options,
    const std::function<void(int, int)> &progress = {});

// n x 160 embeddings of image files: a 8 x 6 x 3 HSV histogram of the pixels that differ from
// the border colour (the product), and a 4 x 4 grid of mean brightness (its shape), each part
// L2-normalised. Throws the decoder's error for a bad image.
FloatMatrix handcraftedEmbeddings(const std::vector<std::filesystem::path> &images);

} // namespace lookalike
