# Compiler flags shared by every citygate target through citygate::build_flags.
add_library(citygate_build_flags INTERFACE)
add_library(citygate::build_flags ALIAS citygate_build_flags)

target_compile_options(citygate_build_flags INTERFACE -Wall -Wextra -Wpedantic -Wshadow -Wconversion -Wno-sign-conversion)
if(CITYGATE_WARNINGS_AS_ERRORS)
  target_compile_options(citygate_build_flags INTERFACE -Werror)
endif()

if(CITYGATE_SANITIZE)
  target_compile_options(citygate_build_flags INTERFACE -fsanitize=${CITYGATE_SANITIZE} -fno-omit-frame-pointer)
  target_link_options(citygate_build_flags INTERFACE -fsanitize=${CITYGATE_SANITIZE})
endif()

# Each function and object in its own section lets the linker drop what
# nothing calls. On the box every byte of code the daemon maps stays
# resident (most of .text is touched at start), so this saves about
# 0.5 MB of RSS and as much flash. Instrumented builds keep the default,
# so their coverage and sanitizer sections are left alone.
if(CITYGATE_GC_SECTIONS AND NOT CITYGATE_SANITIZE AND NOT CITYGATE_BUILD_FUZZERS)
  target_compile_options(citygate_build_flags INTERFACE -ffunction-sections -fdata-sections)
  target_link_options(citygate_build_flags INTERFACE -Wl,--gc-sections)
endif()

# Fuzz builds instrument the libraries too, so libFuzzer sees coverage
# inside the codecs and not only in the harness.
if(CITYGATE_BUILD_FUZZERS)
  target_compile_options(citygate_build_flags INTERFACE -fsanitize=fuzzer-no-link,address,undefined -fno-omit-frame-pointer)
  target_link_options(citygate_build_flags INTERFACE -fsanitize=address,undefined)
endif()

# Every target includes headers by their path from the repository root,
# e.g. "protocols/cjt188/codec.hpp".
target_include_directories(citygate_build_flags INTERFACE ${PROJECT_SOURCE_DIR})

# Adds a library target NAME with alias citygate::NAME.
function(citygate_add_library name)
  cmake_parse_arguments(ARG "" "" "SOURCES;DEPS" ${ARGN})
  add_library(citygate_${name} STATIC ${ARG_SOURCES})
  add_library(citygate::${name} ALIAS citygate_${name})
  target_link_libraries(citygate_${name} PUBLIC citygate::build_flags ${ARG_DEPS})
  set_target_properties(citygate_${name} PROPERTIES POSITION_INDEPENDENT_CODE ON)
endfunction()

# Adds a doctest executable NAME and registers it with ctest under the same name.
function(citygate_add_unit_test name)
  cmake_parse_arguments(ARG "" "" "SOURCES;DEPS;LABELS" ${ARGN})
  add_executable(${name} ${ARG_SOURCES})
  target_link_libraries(${name} PRIVATE citygate::build_flags citygate::doctest_main ${ARG_DEPS})
  add_test(NAME ${name} COMMAND ${name})
  set_tests_properties(${name} PROPERTIES LABELS "unit;${ARG_LABELS}" TIMEOUT 120)
endfunction()

# Adds a doctest executable NAME that runs real peers (processes, sockets),
# labelled "integration" and given more time than a unit test.
function(citygate_add_integration_test name)
  cmake_parse_arguments(ARG "" "TIMEOUT" "SOURCES;DEPS;LABELS" ${ARGN})
  if(NOT ARG_TIMEOUT)
    set(ARG_TIMEOUT 300)
  endif()
  add_executable(${name} ${ARG_SOURCES})
  target_link_libraries(${name} PRIVATE citygate::build_flags citygate::doctest_main ${ARG_DEPS})
  add_test(NAME ${name} COMMAND ${name})
  set_tests_properties(${name} PROPERTIES LABELS "integration;${ARG_LABELS}" TIMEOUT ${ARG_TIMEOUT})
endfunction()

# Adds a libFuzzer target NAME built from SOURCES, with its seed corpus in CORPUS.
function(citygate_add_fuzzer name)
  cmake_parse_arguments(ARG "" "CORPUS" "SOURCES;DEPS" ${ARGN})
  add_executable(${name} ${ARG_SOURCES})
  target_compile_options(${name} PRIVATE -fsanitize=fuzzer,address,undefined)
  target_link_options(${name} PRIVATE -fsanitize=fuzzer,address,undefined)
  target_link_libraries(${name} PRIVATE citygate::build_flags ${ARG_DEPS})
  add_dependencies(citygate_fuzzers ${name})
  if(ARG_CORPUS)
    # A short run over the seed corpus keeps the target honest in the default test run.
    add_test(NAME ${name}_seeds COMMAND ${name} -runs=0 ${ARG_CORPUS})
    set_tests_properties(${name}_seeds PROPERTIES LABELS "fuzz" TIMEOUT 300)
    # The long run (label "soak", scripts/test.sh --long) grows a work corpus
    # in the build tree from the committed seeds. -entropic=0 because clang
    # 14's default schedule slowed the SenML target about 70-fold.
    set(work ${CMAKE_CURRENT_BINARY_DIR}/${name}-work)
    add_test(NAME ${name}_soak
      COMMAND sh -c "mkdir -p '${work}' && exec \"$0\" -entropic=0 -max_total_time=\${CITYGATE_FUZZ_SECONDS:-300} '${work}' '${ARG_CORPUS}'"
              $<TARGET_FILE:${name}>)
    set_tests_properties(${name}_soak PROPERTIES LABELS "soak" TIMEOUT 7200)
  endif()
endfunction()
