#pragma once
// Old name of erwin/io_util.h, still included by ui/src/data_loader.cpp (being refactored
// elsewhere); delete once it includes erwin/io_util.h.
#include "erwin/io_util.h"
