# Writes a C++ source file that defines a std::string_view holding the
# bytes of a text file, so a program carries the file without needing it
# at run time.
#
# cmake -DINPUT=file -DOUTPUT=file.cpp -DNAMESPACE=ns -DNAME=var -P EmbedText.cmake
foreach(required INPUT OUTPUT NAMESPACE NAME)
  if(NOT DEFINED ${required})
    message(FATAL_ERROR "EmbedText.cmake: -D${required}= is missing")
  endif()
endforeach()

file(READ "${INPUT}" text)
set(delimiter "citygate_embed")
string(FIND "${text}" ")${delimiter}\"" clash)
if(NOT clash EQUAL -1)
  message(FATAL_ERROR "EmbedText.cmake: ${INPUT} contains the raw string delimiter )${delimiter}\"")
endif()

file(WRITE "${OUTPUT}.tmp"
  "// Generated from ${INPUT} by cmake/EmbedText.cmake; do not edit.\n"
  "#include <string_view>\n\n"
  "namespace ${NAMESPACE} {\n"
  "extern const std::string_view ${NAME};\n"
  "const std::string_view ${NAME} = R\"${delimiter}(${text})${delimiter}\";\n"
  "} // namespace ${NAMESPACE}\n")
file(COPY_FILE "${OUTPUT}.tmp" "${OUTPUT}" ONLY_IF_DIFFERENT)
file(REMOVE "${OUTPUT}.tmp")
