# Install rules for the files outside the programs (rootfs/, man pages,
# completion, docs) and the CPack Debian packages built by
# scripts/package.sh:
#
#   citygated  the daemon, its systemd unit, udev rules, reference config,
#              Modbus templates and maintainer scripts (system user, dirs)
#   citygate   the CLI with its zh_CN catalogue, man page and bash completion
#
# The catalogue ships inside citygate because the CLI is its only user and
# it is one small file; a separate locale package would add a dependency
# edge and nothing else.
include(GNUInstallDirs)

set(citygate_rootfs ${PROJECT_SOURCE_DIR}/rootfs)
set(citygate_datadir ${CMAKE_INSTALL_DATADIR}/citygate)

install(FILES ${citygate_rootfs}/lib/systemd/system/citygated.service
  DESTINATION lib/systemd/system COMPONENT citygated)
install(FILES ${citygate_rootfs}/lib/udev/rules.d/60-citygate-rs485.rules
  DESTINATION lib/udev/rules.d COMPONENT citygated)
# The reference config: 'citygate init' writes /etc/citygate/citygate.toml
# from the copy built into the CLI; this one is for reading and diffing.
install(FILES ${citygate_rootfs}/etc/citygate/citygate.toml
  DESTINATION ${citygate_datadir} COMPONENT citygated)
install(DIRECTORY ${citygate_rootfs}/usr/share/citygate/templates
  DESTINATION ${citygate_datadir} COMPONENT citygated FILES_MATCHING PATTERN "*.toml")
install(FILES ${PROJECT_SOURCE_DIR}/docs/install.md ${PROJECT_SOURCE_DIR}/docs/configuration.md
  DESTINATION ${CMAKE_INSTALL_DATADIR}/doc/citygated COMPONENT citygated)
install(FILES ${citygate_rootfs}/usr/share/bash-completion/completions/citygate
  DESTINATION ${CMAKE_INSTALL_DATADIR}/bash-completion/completions COMPONENT citygate)
install(FILES ${PROJECT_SOURCE_DIR}/docs/cli.md
  DESTINATION ${CMAKE_INSTALL_DATADIR}/doc/citygate COMPONENT citygate)

# Man pages are compressed as Debian policy asks (gzip -9n: no name, no
# time stamp, so rebuilds are byte-identical).
find_program(CITYGATE_GZIP gzip REQUIRED)
set(citygate_man_pages citygate.1 citygated.8)
set(citygate_man_outputs "")
foreach(page IN LISTS citygate_man_pages)
  set(source ${PROJECT_SOURCE_DIR}/docs/man/${page})
  set(output ${PROJECT_BINARY_DIR}/man/${page}.gz)
  add_custom_command(
    OUTPUT ${output}
    COMMAND ${CMAKE_COMMAND} -E make_directory ${PROJECT_BINARY_DIR}/man
    COMMAND sh -c "${CITYGATE_GZIP} -9n < \"$0\" > \"$1\"" ${source} ${output}
    DEPENDS ${source}
    VERBATIM)
  list(APPEND citygate_man_outputs ${output})
endforeach()
add_custom_target(citygate_man ALL DEPENDS ${citygate_man_outputs})
install(FILES ${PROJECT_BINARY_DIR}/man/citygate.1.gz DESTINATION ${CMAKE_INSTALL_MANDIR}/man1 COMPONENT citygate)
install(FILES ${PROJECT_BINARY_DIR}/man/citygated.8.gz DESTINATION ${CMAKE_INSTALL_MANDIR}/man8 COMPONENT citygated)

# Debian architecture of the programs being built, which for a cross build
# is not the build machine's (dpkg --print-architecture, CPack's default).
if(NOT CITYGATE_DEB_ARCH)
  if(CMAKE_SYSTEM_PROCESSOR MATCHES "^(x86_64|AMD64|amd64)$")
    set(CITYGATE_DEB_ARCH amd64)
  elseif(CMAKE_SYSTEM_PROCESSOR MATCHES "^(aarch64|arm64)$")
    set(CITYGATE_DEB_ARCH arm64)
  elseif(CMAKE_SYSTEM_PROCESSOR MATCHES "^arm")
    set(CITYGATE_DEB_ARCH armhf)
  else()
    message(FATAL_ERROR "No Debian architecture for CMAKE_SYSTEM_PROCESSOR ${CMAKE_SYSTEM_PROCESSOR}; set CITYGATE_DEB_ARCH")
  endif()
endif()
set(CITYGATE_DEB_RELEASE 1 CACHE STRING "Debian revision of the packages (the part after the version's '-')")

set(CPACK_GENERATOR DEB)
set(CPACK_PACKAGE_NAME citygate)
set(CPACK_PACKAGE_VENDOR "citygate developers")
set(CPACK_PACKAGE_CONTACT "citygate developers <citygate@localhost>")
set(CPACK_PACKAGE_VERSION ${PROJECT_VERSION})
# The unit file and the built-in defaults name /usr/sbin/citygated and
# /usr/share/citygate/templates, so packages install under /usr whatever
# CMAKE_INSTALL_PREFIX a developer build uses. The CLI finds its catalogue
# next to its own binary.
set(CPACK_PACKAGING_INSTALL_PREFIX /usr)
set(CPACK_STRIP_FILES ON)
set(CPACK_COMPONENTS_ALL citygated citygate)
set(CPACK_DEB_COMPONENT_INSTALL ON)

set(CPACK_DEBIAN_FILE_NAME DEB-DEFAULT)
set(CPACK_DEBIAN_PACKAGE_RELEASE ${CITYGATE_DEB_RELEASE})
set(CPACK_DEBIAN_PACKAGE_ARCHITECTURE ${CITYGATE_DEB_ARCH})
set(CPACK_DEBIAN_PACKAGE_SECTION net)
set(CPACK_DEBIAN_PACKAGE_PRIORITY optional)
set(CPACK_DEBIAN_PACKAGE_SHLIBDEPS ON)
set(CPACK_DEBIAN_PACKAGE_GENERATE_SHLIBS OFF)

set(CPACK_DEBIAN_CITYGATED_PACKAGE_NAME citygated)
set(CPACK_DEBIAN_CITYGATED_DESCRIPTION "citygate field gateway daemon
citygated polls and receives meters and sensors over RS-485, TCP, NB-IoT
and LoRaWAN, buffers every reading in SQLite and forwards SM4-encrypted
telemetry over MQTT. Run 'citygate init' once to provision the box.")
# adduser for the system user; the unit and udev rules need no package
# dependency because systemd and udev are part of every target image.
set(CPACK_DEBIAN_CITYGATED_PACKAGE_DEPENDS "adduser")
set(CPACK_DEBIAN_CITYGATED_PACKAGE_RECOMMENDS "citygate (>= ${PROJECT_VERSION})")
set(citygate_maintainer_scripts ${PROJECT_SOURCE_DIR}/packaging/deb/citygated)
set(CPACK_DEBIAN_CITYGATED_PACKAGE_CONTROL_EXTRA
  ${citygate_maintainer_scripts}/postinst
  ${citygate_maintainer_scripts}/prerm
  ${citygate_maintainer_scripts}/postrm)
set(CPACK_DEBIAN_CITYGATED_PACKAGE_CONTROL_STRICT_PERMISSION ON)

set(CPACK_DEBIAN_CITYGATE_PACKAGE_NAME citygate)
set(CPACK_DEBIAN_CITYGATE_DESCRIPTION "citygate field gateway command line
citygate provisions a box (init), checks configs, shows the daemon's
state and devices, polls a device and decrypts uplink envelopes. It
speaks English and Simplified Chinese.")

include(CPack)
