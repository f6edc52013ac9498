# CMake toolchain for 32-bit ARMv7 hard-float Linux boxes (Debian armhf),
# tests under qemu-arm. Debian 12 armhf has a 32-bit time_t: docs/cross.md
# lists what that limits.
set(CITYGATE_CROSS_TRIPLET arm-linux-gnueabihf)
set(CMAKE_SYSTEM_PROCESSOR armv7l)
set(CITYGATE_CROSS_QEMU qemu-arm)
include(${CMAKE_CURRENT_LIST_DIR}/common.cmake)
