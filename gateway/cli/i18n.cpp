#include "gateway/cli/i18n.hpp"

#include <clocale>
#include <cstdlib>
#include <system_error>

#ifndef CITYGATE_INSTALL_LOCALEDIR
#error "CITYGATE_INSTALL_LOCALEDIR must name the installed share/locale directory"
#endif

namespace citygate::cli {

std::filesystem::path find_locale_dir() {
    if (const char* override_dir = std::getenv("CITYGATE_LOCALEDIR"); override_dir != nullptr && *override_dir != '\0') {
        return override_dir;
    }

    std::error_code error;
    const auto exe = std::filesystem::read_symlink("/proc/self/exe", error);
    if (!error) {
        // build/bin/citygate finds build/locale; an installed
        // <prefix>/bin/citygate finds <prefix>/share/locale, so a package
        // built with another CMAKE_INSTALL_PREFIX still finds its catalogue.
        const auto prefix = exe.parent_path().parent_path();
        for (const auto& dir : {prefix / "locale", prefix / "share" / "locale"}) {
            if (std::filesystem::exists(dir / "zh_CN" / "LC_MESSAGES" / "citygate.mo", error)) {
                return dir;
            }
        }
    }
    return CITYGATE_INSTALL_LOCALEDIR;
}

void init_i18n() {
    // A missing locale leaves "C", which is the English fallback.
    std::setlocale(LC_ALL, "");
    ::bindtextdomain(text_domain, find_locale_dir().c_str());
    ::bind_textdomain_codeset(text_domain, "UTF-8");
    ::textdomain(text_domain);
}

} // namespace citygate::cli
