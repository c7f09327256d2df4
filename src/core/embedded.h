// Files compiled into the binary (SQL migrations, the chat page) by kefu_embed_files().
#pragma once

#include <span>
#include <string_view>

namespace kefu {

struct EmbeddedFile {
  std::string_view path;  // relative to the embedding base directory, e.g. "001_init.sql"
  std::string_view data;
};

}  // namespace kefu
