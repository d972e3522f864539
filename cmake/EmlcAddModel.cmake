# add_embedded_model(): compile an ONNX model with emlc at build time into a
# static library target.
#
#   add_embedded_model(<target> MODEL <file.onnx> [NAME <name>]
#                      [QUANTIZE int8 CALIBRATION <file.npy>] [PRUNE <spec>]
#                      [PIPELINE <pipeline.json>] [OPTIONS <extra emlc flags>...])
#
# Creates the static library <target> from the generated sources (NAME.cpp,
# NAME_weights.cpp and, with PIPELINE, NAME_pipeline.cpp) with the generated
# folder as its public include directory (NAME.h, NAME_pipeline.h). The
# folder is <current binary dir>/<target>_emlc; its path is the target's
# EMLC_OUTPUT_DIR property (NAME.json and NAME_memory.svg, the memory plan,
# are there too).
#
#   NAME         prefix of the generated API; default: <target> made into a C
#                identifier.
#   QUANTIZE     passed as `--quantize <scheme>`, CALIBRATION as
#                `--calibration <file>`, PRUNE as `--prune <spec>` (see
#                README.md for the emlc version that implements them).
#   PIPELINE     `--pipeline <file>`: adds NAME_pipeline.h/.cpp (sensor
#                samples -> decisions).
#   OPTIONS      any other emlc compile flags, e.g. --memory dtcm=64K,sram=320K.
#
# The sources are regenerated when the model, the calibration data, the
# pipeline file, the flags or the emlc executable change. emlc always runs on
# the build host, so this works unchanged when the project is cross-compiled
# (e.g. with emlc's arm-none-eabi toolchain files).
#
# Which emlc: the EMLC_EXECUTABLE variable if set, else the emlc::emlc target
# (from find_package(emlc) or from add_subdirectory() of emlc's source tree;
# the latter only when emlc itself can be built, i.e. not while
# cross-compiling).
include_guard(GLOBAL)

function(add_embedded_model target)
  cmake_parse_arguments(PARSE_ARGV 1 EAM "" "MODEL;NAME;QUANTIZE;CALIBRATION;PRUNE;PIPELINE" "OPTIONS")
  if(EAM_UNPARSED_ARGUMENTS)
    message(FATAL_ERROR "add_embedded_model(${target}): unknown arguments: ${EAM_UNPARSED_ARGUMENTS}")
  endif()
  if(NOT EAM_MODEL)
    message(FATAL_ERROR "add_embedded_model(${target}): MODEL <file.onnx> is required")
  endif()
  if(EAM_CALIBRATION AND NOT EAM_QUANTIZE)
    message(FATAL_ERROR "add_embedded_model(${target}): CALIBRATION needs QUANTIZE (e.g. QUANTIZE int8)")
  endif()

  # The emlc executable, and what the generation step depends on for it.
  if(EMLC_EXECUTABLE)
    set(emlc_cmd "${EMLC_EXECUTABLE}")
    set(emlc_dep "${EMLC_EXECUTABLE}")
  elseif(TARGET emlc::emlc)
    get_target_property(emlc_imported emlc::emlc IMPORTED)
    set(emlc_cmd "$<TARGET_FILE:emlc::emlc>")
    if(emlc_imported)
      set(emlc_dep "$<TARGET_FILE:emlc::emlc>")
    else()
      # Built in this project (add_subdirectory): a target-level and a file-level dependency.
      get_target_property(emlc_real emlc::emlc ALIASED_TARGET)
      set(emlc_dep "${emlc_real}")
    endif()
  else()
    message(FATAL_ERROR "add_embedded_model(${target}): no emlc executable: call find_package(emlc) or "
                        "add_subdirectory(<emlc source>), or set EMLC_EXECUTABLE")
  endif()

  if(EAM_NAME)
    set(name "${EAM_NAME}")
  else()
    string(MAKE_C_IDENTIFIER "${target}" name)
  endif()
  if(NOT name MATCHES "^[A-Za-z_][A-Za-z0-9_]*$")
    message(FATAL_ERROR "add_embedded_model(${target}): NAME '${name}' must be a C identifier")
  endif()

  get_filename_component(model "${EAM_MODEL}" ABSOLUTE BASE_DIR "${CMAKE_CURRENT_SOURCE_DIR}")
  set(out "${CMAKE_CURRENT_BINARY_DIR}/${target}_emlc")
  set(args compile "${model}" -o "${out}" --name "${name}")
  set(deps "${model}")
  if(EAM_QUANTIZE)
    list(APPEND args --quantize "${EAM_QUANTIZE}")
  endif()
  if(EAM_CALIBRATION)
    get_filename_component(calibration "${EAM_CALIBRATION}" ABSOLUTE BASE_DIR "${CMAKE_CURRENT_SOURCE_DIR}")
    list(APPEND args --calibration "${calibration}")
    list(APPEND deps "${calibration}")
  endif()
  if(EAM_PRUNE)
    list(APPEND args --prune "${EAM_PRUNE}")
  endif()
  set(outputs "${out}/${name}.h" "${out}/${name}.cpp" "${out}/${name}_weights.cpp")
  if(EAM_PIPELINE)
    get_filename_component(pipeline "${EAM_PIPELINE}" ABSOLUTE BASE_DIR "${CMAKE_CURRENT_SOURCE_DIR}")
    list(APPEND args --pipeline "${pipeline}")
    list(APPEND deps "${pipeline}")
    list(APPEND outputs "${out}/${name}_pipeline.h" "${out}/${name}_pipeline.cpp")
  endif()
  list(APPEND args ${EAM_OPTIONS})

  # The command line in a file that is rewritten only when it changes: the
  # generation step depends on it, so new flags regenerate the sources.
  set(flags_file "${CMAKE_CURRENT_BINARY_DIR}/${target}_emlc.flags")
  string(REPLACE ";" "\n" flags_text "emlc ${emlc_cmd};${args}")
  set(old_flags "")
  if(EXISTS "${flags_file}")
    file(READ "${flags_file}" old_flags)
  endif()
  if(NOT old_flags STREQUAL "${flags_text}\n")
    file(WRITE "${flags_file}" "${flags_text}\n")
  endif()

  add_custom_command(
    OUTPUT ${outputs} "${out}/${name}.json"
    COMMAND ${emlc_cmd} ${args}
    DEPENDS ${deps} "${flags_file}" ${emlc_dep}
    COMMENT "emlc: compiling ${EAM_MODEL} into ${name} (${target})"
    VERBATIM)

  add_library(${target} STATIC ${outputs})
  target_include_directories(${target} PUBLIC "${out}")
  target_compile_features(${target} PRIVATE cxx_std_17)
  set_target_properties(${target} PROPERTIES LINKER_LANGUAGE CXX EMLC_OUTPUT_DIR "${out}" EMLC_NAME "${name}")
endfunction()
