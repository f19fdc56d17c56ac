// Cairo, the 2D drawing library that rasterises Tessera's pictures to PNG (through libpng).
// Installed by `make deps` (Debian: libcairo2-dev); found through pkg-config.
#include <cairo.h>
