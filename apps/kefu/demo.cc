#include <filesystem>
#include <iostream>

#include "commands.h"
#include "demo/demo_shop.h"

namespace kefu::app {

int RunDemoReset(const CommonFlags& common) {
  Result<Runtime> rt = OpenRuntime(common, /*load_demo_if_empty=*/false);
  if (!rt.ok()) {
    return Fail(rt.status());
  }
  const std::string dir = (std::filesystem::path(rt->data_dir) / "demo").string();
  if (Status s = demo::ResetDemoShop(*rt->store, dir); !s.ok()) {
    return Fail(s);
  }
  Result<store::ShopCounts> counts = rt->store->CountShopData();
  if (!counts.ok()) {
    return Fail(counts.status());
  }
  std::cout << "demo shop loaded into " << rt->config.store.db_path << ": " << counts->products
            << " products, " << counts->customers << " customers, " << counts->orders << " orders, "
            << counts->shipments << " shipments, " << counts->documents << " policy documents"
            << std::endl;
  return 0;
}

}  // namespace kefu::app
