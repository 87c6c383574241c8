// Compatibility header: the network, architecture and mapping structs live in
// spec/spec.hpp (Config holds them by value).
#pragma once
#include "spec/spec.hpp"
