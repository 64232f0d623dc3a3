# Locates LibTorch, in the order the README promises:
#   1. Torch_DIR, when the user gives it;
#   2. the project's own virtual environment (.venv, made by scripts/setup-deps.sh);
#   3. whatever `python3 -c 'import torch'` finds (how it builds on the GPU machine);
#   4. Debian's libtorch-dev (found by find_package's default search).
function(erwin_torch_dir_from_python python_exe out_var)
  if(NOT EXISTS "${python_exe}")
    return()
  endif()
  execute_process(
    COMMAND "${python_exe}" -c "import torch, os; print(os.path.join(os.path.dirname(torch.__file__), 'share', 'cmake', 'Torch'))"
    OUTPUT_VARIABLE dir OUTPUT_STRIP_TRAILING_WHITESPACE ERROR_QUIET RESULT_VARIABLE rc)
  if(rc EQUAL 0 AND EXISTS "${dir}/TorchConfig.cmake")
    set(${out_var} "${dir}" PARENT_SCOPE)
  endif()
endfunction()

if(NOT Torch_DIR)
  erwin_torch_dir_from_python("${PROJECT_SOURCE_DIR}/.venv/bin/python3" venv_torch)
  if(venv_torch)
    set(Torch_DIR "${venv_torch}" CACHE PATH "LibTorch CMake package" FORCE)
  else()
    find_program(ERWIN_SYSTEM_PYTHON python3)
    if(ERWIN_SYSTEM_PYTHON)
      erwin_torch_dir_from_python("${ERWIN_SYSTEM_PYTHON}" python_torch)
      if(python_torch)
        set(Torch_DIR "${python_torch}" CACHE PATH "LibTorch CMake package" FORCE)
      endif()
    endif()
  endif()
endif()

# LibTorch's CMake compiles .cu files for every architecture the wheel supports (eleven) unless
# told otherwise; the GPU machines are Ampere and Hopper (scripts/gpu-check.sh picks the device's).
if(NOT DEFINED TORCH_CUDA_ARCH_LIST AND NOT DEFINED ENV{TORCH_CUDA_ARCH_LIST})
  set(TORCH_CUDA_ARCH_LIST "8.0;9.0")
endif()
find_package(Torch REQUIRED)
message(STATUS "LibTorch ${Torch_VERSION} from ${Torch_DIR}")
if(Torch_VERSION VERSION_LESS 2.0)
  message(FATAL_ERROR "Erwin needs LibTorch 2.x, found ${Torch_VERSION}")
endif()

# TORCH_CXX_FLAGS carries the ABI flag the library was built with; it must reach every target.
separate_arguments(ERWIN_TORCH_CXX_FLAGS UNIX_COMMAND "${TORCH_CXX_FLAGS}")

# The PyPI wheel ships CUDA, cuDNN and NCCL as sibling `nvidia/*` packages that libtorch_cuda
# finds at run time through its RUNPATH. The linker does not follow that RUNPATH and would
# resolve against an older system copy (e.g. the CUDA toolkit's NCCL), so point it there.
get_filename_component(ERWIN_TORCH_SITE "${TORCH_INSTALL_PREFIX}/.." ABSOLUTE)
file(GLOB ERWIN_TORCH_WHEEL_LIBDIRS LIST_DIRECTORIES true
     "${ERWIN_TORCH_SITE}/nvidia/*/lib" "${ERWIN_TORCH_SITE}/nvidia/lib")
foreach(dir IN LISTS ERWIN_TORCH_WHEEL_LIBDIRS)
  add_link_options("LINKER:-rpath-link,${dir}")
endforeach()
