// Compiled with -std=c++17 -pedantic -Werror: every public header must stay C++17.
#include <rtlat/replay.hpp>
#include <rtlat/report/csv.hpp>
#include <rtlat/report/event_fields.hpp>
#include <rtlat/report/json.hpp>
#include <rtlat/report/openmetrics.hpp>
#include <rtlat/report/samples_csv.hpp>
#include <rtlat/report/text.hpp>
#include <rtlat/rtlat.hpp>
#include <rtlat/source/detect.hpp>
#include <rtlat/source/source_info.hpp>
#include <rtlat/source/syscalls.hpp>
#include <rtlat/source/text.hpp>
#include <rtlat/source/tracedat.hpp>
#include <rtlat/source_info.hpp>
#include <rtlat/syscalls.hpp>

int rtlat_cxx17_check() {
  return static_cast<int>(sizeof(rtlat::Event));
}
