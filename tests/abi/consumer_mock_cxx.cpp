// The mock's header compiles as C++ and libvfioiommu-mock links from C++.
#include "consumer_mock.c"
