#include "engine/live_feed.h"

namespace kefu::engine {

struct LiveFeed::Registry {
  std::mutex mu;
  std::multimap<std::string, Subscription*> subs;
};

LiveFeed::Subscription::Subscription(std::shared_ptr<Registry> registry, std::string channel,
                                     size_t max_queued)
    : registry_(std::move(registry)), channel_(std::move(channel)), max_queued_(max_queued) {}

LiveFeed::Subscription::~Subscription() {
  std::scoped_lock lock(registry_->mu);
  auto [begin, end] = registry_->subs.equal_range(channel_);
  for (auto it = begin; it != end; ++it) {
    if (it->second == this) {
      registry_->subs.erase(it);
      break;
    }
  }
}

std::vector<std::string> LiveFeed::Subscription::Drain() {
  std::scoped_lock lock(mu_);
  std::vector<std::string> out(std::make_move_iterator(queue_.begin()),
                               std::make_move_iterator(queue_.end()));
  queue_.clear();
  return out;
}

bool LiveFeed::Subscription::overflowed() const {
  std::scoped_lock lock(mu_);
  return overflowed_;
}

void LiveFeed::Subscription::SetWakeup(std::function<void()> wakeup) {
  std::scoped_lock lock(mu_);
  wakeup_ = std::move(wakeup);
}

void LiveFeed::Subscription::Push(const std::string& event) {
  std::function<void()> wakeup;
  {
    std::scoped_lock lock(mu_);
    if (queue_.size() >= max_queued_) {
      overflowed_ = true;
      queue_.pop_front();
    }
    queue_.push_back(event);
    wakeup = wakeup_;
  }
  if (wakeup) {
    wakeup();
  }
}

LiveFeed::LiveFeed() : registry_(std::make_shared<Registry>()) {}
LiveFeed::~LiveFeed() = default;

std::shared_ptr<LiveFeed::Subscription> LiveFeed::Subscribe(const std::string& channel,
                                                            size_t max_queued) {
  std::shared_ptr<Subscription> sub(
      new Subscription(registry_, channel, max_queued == 0 ? 1 : max_queued));
  std::scoped_lock lock(registry_->mu);
  registry_->subs.emplace(channel, sub.get());
  return sub;
}

void LiveFeed::Publish(const std::string& channel, const std::string& event) {
  // Pushing under the registry lock keeps a subscription alive while it is used: its destructor
  // takes the same lock before it goes. Wakeups must therefore never call back into the feed.
  std::scoped_lock lock(registry_->mu);
  auto [begin, end] = registry_->subs.equal_range(channel);
  for (auto it = begin; it != end; ++it) {
    it->second->Push(event);
  }
}

size_t LiveFeed::SubscriberCount(const std::string& channel) const {
  std::scoped_lock lock(registry_->mu);
  return registry_->subs.count(channel);
}

}  // namespace kefu::engine
