/// @file
/// The path README documented before the vocabulary moved out of source/ (issue 23): kept so that
/// code including it still builds. New code includes <rtlat/syscalls.hpp>.
#pragma once

#include "rtlat/syscalls.hpp"
