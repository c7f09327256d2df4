// The one place that maps StatusCode to an HTTP status (Google's API mapping).
#pragma once

#include "core/status.h"

namespace kefu::server {

int HttpStatusFor(StatusCode code);

}  // namespace kefu::server
