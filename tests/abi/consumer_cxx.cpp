// The public headers compile as C++ and link from C++: the same consumer, built by a C++ compiler.
#include "consumer.c"
