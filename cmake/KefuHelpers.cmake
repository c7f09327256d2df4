# kefu_add_module(name SOURCES ... PUBLIC_DEPS ... PRIVATE_DEPS ...)
# Each module is a static library; its link list encodes the dependency direction.
function(kefu_add_module name)
  cmake_parse_arguments(M "" "" "SOURCES;PUBLIC_DEPS;PRIVATE_DEPS" ${ARGN})
  add_library(${name} STATIC ${M_SOURCES})
  target_include_directories(${name} PUBLIC ${PROJECT_SOURCE_DIR}/src)
  target_link_libraries(${name} PUBLIC ${M_PUBLIC_DEPS} PRIVATE ${M_PRIVATE_DEPS} kefu_warnings)
endfunction()

# kefu_add_test(name SOURCES ... DEPS ... LABELS ...)
function(kefu_add_test name)
  cmake_parse_arguments(T "" "" "SOURCES;DEPS;LABELS" ${ARGN})
  add_executable(${name} ${T_SOURCES})
  target_include_directories(${name} PRIVATE ${PROJECT_SOURCE_DIR}/tests ${PROJECT_SOURCE_DIR}/src)
  target_link_libraries(${name} PRIVATE ${T_DEPS} kefu_warnings GTest::gmock GTest::gtest_main)
  if(NOT T_LABELS)
    set(T_LABELS unit)
  endif()
  gtest_discover_tests(${name} PROPERTIES LABELS "${T_LABELS}"
                       DISCOVERY_TIMEOUT 60)
endfunction()

# kefu_embed_files(target FUNC name BASE dir FILES ...): compiles the files into `target` as
# `std::span<const EmbeddedFile> name()`, keyed by their path relative to BASE.
function(kefu_embed_files target)
  cmake_parse_arguments(E "" "FUNC;BASE" "FILES" ${ARGN})
  set(out "${CMAKE_CURRENT_BINARY_DIR}/${E_FUNC}_embedded.cc")
  add_custom_command(
    OUTPUT "${out}"
    COMMAND ${CMAKE_COMMAND} "-DOUT=${out}" "-DFUNC=${E_FUNC}" "-DBASE=${E_BASE}"
            "-DFILES=${E_FILES}" -P "${PROJECT_SOURCE_DIR}/cmake/embed.cmake"
    DEPENDS ${E_FILES} "${PROJECT_SOURCE_DIR}/cmake/embed.cmake"
    COMMENT "Embedding ${E_FUNC}"
    VERBATIM)
  target_sources(${target} PRIVATE "${out}")
endfunction()
