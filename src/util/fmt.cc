// fmt's compiled part, built once for the whole project. fmt is used from Debian's headers only (no libfmt to link, so
// the i386 and static builds need no i386 or static libfmt), but with FMT_HEADER_ONLY every translation unit that
// includes <fmt/format.h> would compile fmt's implementation again (about 4 s of CPU per file at -O2). Instead this
// file compiles <fmt/format-inl.h> once and instantiates the templates that <fmt/format.h> declares `extern` or
// leaves undefined (fmt 9.1, Debian 12), the way fmt's own src/format.cc does.
#include <fmt/format-inl.h>

FMT_BEGIN_NAMESPACE
namespace detail {

template FMT_API auto dragonbox::to_decimal(float x) noexcept -> dragonbox::decimal_fp<float>;
template FMT_API auto dragonbox::to_decimal(double x) noexcept -> dragonbox::decimal_fp<double>;

template FMT_API locale_ref::locale_ref(const std::locale& loc);
template FMT_API auto locale_ref::get<std::locale>() const -> std::locale;

template FMT_API auto thousands_sep_impl(locale_ref) -> thousands_sep_result<char>;
template FMT_API auto decimal_point_impl(locale_ref) -> char;
template FMT_API auto thousands_sep_impl(locale_ref) -> thousands_sep_result<wchar_t>;
template FMT_API auto decimal_point_impl(locale_ref) -> wchar_t;

}  // namespace detail
FMT_END_NAMESPACE
