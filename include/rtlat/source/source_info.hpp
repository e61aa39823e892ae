/// @file
/// The path README documented before the vocabulary moved out of source/ (issue 23): kept so that
/// code including it still builds. New code includes <rtlat/source_info.hpp>.
#pragma once

#include "rtlat/source_info.hpp"
