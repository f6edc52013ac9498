# CMake toolchain for 64-bit ARM Linux boxes (Debian arm64), tests under
# qemu-aarch64. See cross/common.cmake for the multiarch and sysroot routes.
set(CITYGATE_CROSS_TRIPLET aarch64-linux-gnu)
set(CMAKE_SYSTEM_PROCESSOR aarch64)
set(CITYGATE_CROSS_QEMU qemu-aarch64)
include(${CMAKE_CURRENT_LIST_DIR}/common.cmake)
