// The prefetch hint is a header-only inline function; this file gives the target a source.
#include "tessera_prefetch.h"
