# Shared part of the citygate toolchain files. The including file sets
# CITYGATE_CROSS_TRIPLET (GNU triplet, also the Debian multiarch directory),
# CMAKE_SYSTEM_PROCESSOR and CITYGATE_CROSS_QEMU (the qemu-user program).
#
# Two routes to the target's libraries:
# - multiarch (default): the :arm64 or :armhf -dev packages installed on the
#   build host, as scripts/cross-build.sh does. Libraries are in
#   /usr/lib/<triplet> and arch-specific headers in /usr/include/<triplet>.
# - sysroot: CITYGATE_SYSROOT (cache variable or environment variable) names
#   a directory made by `mmdebstrap --variant=extract`, for hosts where
#   foreign architectures are not wanted in dpkg.
set(CMAKE_SYSTEM_NAME Linux)
set(CMAKE_C_COMPILER ${CITYGATE_CROSS_TRIPLET}-gcc)
set(CMAKE_CXX_COMPILER ${CITYGATE_CROSS_TRIPLET}-g++)
set(CMAKE_LIBRARY_ARCHITECTURE ${CITYGATE_CROSS_TRIPLET})

if(NOT DEFINED CITYGATE_SYSROOT AND DEFINED ENV{CITYGATE_SYSROOT})
  set(CITYGATE_SYSROOT "$ENV{CITYGATE_SYSROOT}")
endif()
set(CITYGATE_SYSROOT "${CITYGATE_SYSROOT}" CACHE PATH "Target root made by mmdebstrap; empty for the multiarch route")
# try_compile projects run this file again without the cache.
list(APPEND CMAKE_TRY_COMPILE_PLATFORM_VARIABLES CITYGATE_SYSROOT)

if(CITYGATE_SYSROOT)
  if(NOT EXISTS "${CITYGATE_SYSROOT}/usr/lib/${CITYGATE_CROSS_TRIPLET}")
    message(FATAL_ERROR "CITYGATE_SYSROOT=${CITYGATE_SYSROOT} has no usr/lib/${CITYGATE_CROSS_TRIPLET}; "
                        "make it with scripts/cross-build.sh --sysroot")
  endif()
  set(CMAKE_SYSROOT "${CITYGATE_SYSROOT}")
  set(CMAKE_FIND_ROOT_PATH "${CITYGATE_SYSROOT}")
  # Programs (msgfmt, mosquitto, socat) come from the build host, everything
  # that is linked comes from the sysroot.
  set(CMAKE_FIND_ROOT_PATH_MODE_PROGRAM NEVER)
  set(CMAKE_FIND_ROOT_PATH_MODE_LIBRARY ONLY)
  set(CMAKE_FIND_ROOT_PATH_MODE_INCLUDE ONLY)
  set(CMAKE_FIND_ROOT_PATH_MODE_PACKAGE ONLY)
  set(ENV{PKG_CONFIG_SYSROOT_DIR} "${CITYGATE_SYSROOT}")
  set(ENV{PKG_CONFIG_LIBDIR} "${CITYGATE_SYSROOT}/usr/lib/${CITYGATE_CROSS_TRIPLET}/pkgconfig:${CITYGATE_SYSROOT}/usr/share/pkgconfig")
  set(CMAKE_CROSSCOMPILING_EMULATOR ${CITYGATE_CROSS_QEMU} -L ${CITYGATE_SYSROOT})
else()
  # The host's pkg-config would hand out the amd64 flags.
  set(ENV{PKG_CONFIG_LIBDIR} "/usr/lib/${CITYGATE_CROSS_TRIPLET}/pkgconfig:/usr/share/pkgconfig")
  # libc6:arm64 / libc6:armhf put the target's dynamic loader under /lib,
  # so qemu needs no -L prefix, and that loader searches /usr/lib/<triplet>
  # by default.
  set(CMAKE_CROSSCOMPILING_EMULATOR ${CITYGATE_CROSS_QEMU})
endif()
