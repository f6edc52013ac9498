#pragma once
// gettext for the citygate CLI. Every user-facing string goes through _()
// so xgettext (scripts/update-po.sh) can collect it; N_() marks a string
// for extraction where it is translated later.

#include <libintl.h>

#include <filesystem>
#include <optional>
#include <string>

#define _(msgid) ::gettext(msgid)
#define N_(msgid) msgid

namespace citygate::cli {

inline constexpr const char* text_domain = "citygate";

// Sets the locale from the environment (LANG, LC_ALL, LANGUAGE) and binds
// the "citygate" domain to find_locale_dir(). English is the fallback when
// the locale or catalogue is missing.
void init_i18n();

// The catalogue directory: $CITYGATE_LOCALEDIR if set, else
// <exe dir>/../locale (build tree) or <exe dir>/../share/locale
// (installed) when it has the zh_CN catalogue, else the install prefix's
// share/locale.
std::filesystem::path find_locale_dir();

} // namespace citygate::cli
