#include <filesystem>

#include "core/logging.h"
#include "demo/demo_shop.h"

namespace kefu::demo {

Result<size_t> LoadDemoKnowledgeIfEmpty(kb::KnowledgeBase& kb, store::Store& store,
                                        const std::string& data_dir) {
  if (kb.document_count() > 0) {
    return size_t{0};
  }
  const std::filesystem::path dir(data_dir);
  kb::IngestOptions options;
  options.category = "policy";
  KEFU_ASSIGN_OR_RETURN(kb::ImportReport policies,
                        kb.ImportPaths({(dir / "demo" / "policies").string()}, options));
  options.category = "faq";
  KEFU_ASSIGN_OR_RETURN(kb::ImportReport faqs, kb.ImportPaths({(dir / "kb").string()}, options));
  KEFU_ASSIGN_OR_RETURN(std::vector<store::Product> products, store.ListProducts());
  KEFU_ASSIGN_OR_RETURN(kb::ImportReport catalog, kb.ImportCatalog(products));
  for (const kb::ImportReport* r : {&policies, &faqs, &catalog}) {
    for (const std::string& e : r->errors) {
      KEFU_LOG_WARN("demo knowledge: {}", e);
    }
  }
  return policies.added + faqs.added + catalog.added;
}

}  // namespace kefu::demo
