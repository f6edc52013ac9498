// Every rejection reason of the codecs has a zh_CN translation, looked up
// in-process with the catalogue the build compiled.

#include "gateway/cli/decode_report.hpp"
#include "gateway/cli/i18n.hpp"
#include "protocols/cjt188/error.hpp"
#include "protocols/dlt645/error.hpp"
#include "protocols/modbus/error.hpp"

#include <doctest/doctest.h>

#include <clocale>
#include <cstdlib>

namespace {

// Switches this process to zh_CN for the lifetime of the object.
class chinese_locale {
public:
    chinese_locale() {
        ::setenv("LANGUAGE", "zh_CN", 1);
        ::setenv("LC_ALL", "zh_CN.UTF-8", 1);
        citygate::cli::init_i18n();
    }
    ~chinese_locale() {
        ::unsetenv("LANGUAGE");
        ::unsetenv("LC_ALL");
        std::setlocale(LC_ALL, "C");
    }
};

// Checks the values 1, 2, ... of `category` until its message for unknown
// values, so that a value added to a codec without a translation fails.
void check_category(const std::error_category& category, const std::string& unknown) {
    for (int value = 1; value < 100; ++value) {
        const std::error_code error(value, category);
        if (error.message() == unknown) {
            CHECK(value > 1);
            return;
        }
        INFO(error.message());
        CHECK(citygate::cli::translated_reason(error) != error.message());
    }
    FAIL("no message for unknown values in " << category.name());
}

} // namespace

TEST_CASE("decode reasons are translated") {
    const chinese_locale zh;
    REQUIRE(citygate::cli::translated_reason(citygate::dlt645::error::bad_checksum) ==
            "DL/T 645 帧被拒收：校验和不符");

    check_category(citygate::modbus::error_category(), "unknown Modbus error");
    check_category(citygate::dlt645::error_category(), "unknown DL/T 645 error");
    check_category(citygate::dlt645::meter_error_category(), "unknown DL/T 645 meter error");
    check_category(citygate::cjt188::error_category(), "unknown CJ/T 188 error");
    CHECK(citygate::cli::translated_reason(citygate::modbus::exception_code::illegal_data_address) ==
          "Modbus 异常 02 ILLEGAL DATA ADDRESS");
}
