# Finds the three OpenCV modules Lookalike uses (core, imgproc, imgcodecs) without
# requiring the full libopencv-dev meta package and its ~40 dependencies.
# Defines the imported targets OpenCV::core, OpenCV::imgproc and OpenCV::imgcodecs.
find_path(OpenCVLite_INCLUDE_DIR opencv2/core.hpp PATH_SUFFIXES opencv4)
find_path(OpenCVLite_CONFIG_DIR opencv2/cvconfig.h PATH_SUFFIXES opencv4 x86_64-linux-gnu/opencv4)
set(_ocv_vars OpenCVLite_INCLUDE_DIR)
foreach(_m core imgproc imgcodecs)
  find_library(OpenCVLite_${_m}_LIBRARY opencv_${_m})
  list(APPEND _ocv_vars OpenCVLite_${_m}_LIBRARY)
endforeach()
include(FindPackageHandleStandardArgs)
find_package_handle_standard_args(OpenCVLite REQUIRED_VARS ${_ocv_vars})
if(OpenCVLite_FOUND)
  foreach(_m core imgproc imgcodecs)
    if(NOT TARGET OpenCV::${_m})
      add_library(OpenCV::${_m} UNKNOWN IMPORTED)
      set_target_properties(OpenCV::${_m} PROPERTIES
        IMPORTED_LOCATION "${OpenCVLite_${_m}_LIBRARY}"
        INTERFACE_INCLUDE_DIRECTORIES "${OpenCVLite_INCLUDE_DIR}")
      if(OpenCVLite_CONFIG_DIR)
        set_property(TARGET OpenCV::${_m} APPEND PROPERTY INTERFACE_INCLUDE_DIRECTORIES "${OpenCVLite_CONFIG_DIR}")
      endif()
    endif()
  endforeach()
endif()
