# `cmake --install`: the two programs, the shipped resources, the desktop integration and the
# ErwinStudio CMake package, through which other C++ projects link the core:
#   find_package(ErwinStudio 0.1 REQUIRED)
#   target_link_libraries(my_tool PRIVATE ErwinStudio::core)
include(CMakePackageConfigHelpers)

# Run configurations and samples: the Studio looks for them in <prefix>/share/erwin-studio/resources
# (ui/src/engine/resource_paths.cpp).
install(DIRECTORY "${PROJECT_SOURCE_DIR}/resources/"
        DESTINATION "${CMAKE_INSTALL_DATADIR}/erwin-studio/resources")
install(FILES "${PROJECT_SOURCE_DIR}/packaging/org.erwinstudio.ErwinStudio.desktop"
        DESTINATION "${CMAKE_INSTALL_DATADIR}/applications")
install(FILES "${PROJECT_SOURCE_DIR}/packaging/org.erwinstudio.ErwinStudio.metainfo.xml"
        DESTINATION "${CMAKE_INSTALL_DATADIR}/metainfo")
install(FILES "${PROJECT_SOURCE_DIR}/packaging/erwin-studio.svg"
        DESTINATION "${CMAKE_INSTALL_DATADIR}/icons/hicolor/scalable/apps")

# The core library, its headers (and the generated erwin/version.h) and, with CUDA, the static
# kernel library it links privately.
set(erwin_package_targets erwin_core)
if(TARGET erwin_gpu)
  list(APPEND erwin_package_targets erwin_gpu)
endif()
set_target_properties(erwin_core PROPERTIES EXPORT_NAME core)
# Its users link LibTorch through it, so they need the -rpath-link to the PyPI wheel's nvidia/*
# libraries that cmake/ErwinTorch.cmake gives this build.
foreach(dir IN LISTS ERWIN_TORCH_WHEEL_LIBDIRS)
  target_link_options(erwin_core INTERFACE "$<INSTALL_INTERFACE:LINKER:-rpath-link$<COMMA>${dir}>")
endforeach()
if(TARGET erwin_gpu)
  set_target_properties(erwin_gpu PROPERTIES EXPORT_NAME gpu)
endif()
install(TARGETS ${erwin_package_targets} EXPORT ErwinStudioTargets
        ARCHIVE DESTINATION "${CMAKE_INSTALL_LIBDIR}"
        LIBRARY DESTINATION "${CMAKE_INSTALL_LIBDIR}")
install(DIRECTORY "${PROJECT_SOURCE_DIR}/core/include/erwin" "${PROJECT_BINARY_DIR}/core/include/erwin"
        DESTINATION "${CMAKE_INSTALL_INCLUDEDIR}" FILES_MATCHING PATTERN "*.h")

set(erwin_package_dir "${CMAKE_INSTALL_LIBDIR}/cmake/ErwinStudio")
install(EXPORT ErwinStudioTargets NAMESPACE ErwinStudio:: DESTINATION "${erwin_package_dir}")
configure_package_config_file("${PROJECT_SOURCE_DIR}/cmake/ErwinStudioConfig.cmake.in"
  "${PROJECT_BINARY_DIR}/ErwinStudioConfig.cmake" INSTALL_DESTINATION "${erwin_package_dir}")
write_basic_package_version_file("${PROJECT_BINARY_DIR}/ErwinStudioConfigVersion.cmake"
  COMPATIBILITY SameMinorVersion)
install(FILES "${PROJECT_BINARY_DIR}/ErwinStudioConfig.cmake"
              "${PROJECT_BINARY_DIR}/ErwinStudioConfigVersion.cmake"
        DESTINATION "${erwin_package_dir}")
