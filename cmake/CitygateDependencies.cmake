# Debian 12 packages; scripts/setup.sh installs them.
find_package(Threads REQUIRED)
find_package(Boost 1.81 REQUIRED)
# OPENSSL_ROOT_DIR selects another OpenSSL 3 build, such as Tongsuo.
find_package(OpenSSL 3.0 REQUIRED)
find_package(SQLite3 REQUIRED)
find_package(PahoMqttCpp REQUIRED)
find_package(spdlog REQUIRED)
find_package(tomlplusplus REQUIRED)
find_package(nlohmann_json REQUIRED)
find_package(CLI11 REQUIRED)
find_package(Intl REQUIRED)
find_package(PkgConfig REQUIRED)
# libcbor has no CMake package in Debian 12, only a pkg-config file.
pkg_check_modules(LIBCBOR REQUIRED IMPORTED_TARGET libcbor>=0.8)

if(CITYGATE_BUILD_TESTS)
  find_package(doctest REQUIRED)
endif()
