// LiveFeed: publishes what happens in a conversation to whoever listens right now (the shopper's
// event stream, an agent's console). In-process and lossy by design: a listener that falls behind
// max_queued events is marked overflowed and should re-read the history; the store stays the
// record.
//
//   std::shared_ptr<LiveFeed::Subscription> sub = feed.Subscribe("c_1");
//   sub->SetWakeup([&] { post_to_my_io_thread(); });   // called from the publisher's thread
//   feed.Publish("c_1", R"({"type":"message",...})");
//   for (std::string& event : sub->Drain()) { ... }
//
// Thread-safe. A Subscription unsubscribes itself when its last owner lets go.
#pragma once

#include <cstddef>
#include <deque>
#include <functional>
#include <map>
#include <memory>
#include <mutex>
#include <string>
#include <vector>

namespace kefu::engine {

class LiveFeed {
 public:
  struct Registry;  // the channels; shared with subscriptions so either may go first

  class Subscription {
   public:
    ~Subscription();
    Subscription(const Subscription&) = delete;
    Subscription& operator=(const Subscription&) = delete;

    // The events published since the last Drain, oldest first.
    std::vector<std::string> Drain();
    // True once more than max_queued events were waiting: some were dropped.
    bool overflowed() const;
    // Called on the publisher's thread after each Publish to this channel; it must not call the
    // feed (post to your own thread instead).
    void SetWakeup(std::function<void()> wakeup);
    const std::string& channel() const { return channel_; }

   private:
    friend class LiveFeed;
    Subscription(std::shared_ptr<Registry> registry, std::string channel, size_t max_queued);
    void Push(const std::string& event);

    std::shared_ptr<Registry> registry_;
    std::string channel_;
    size_t max_queued_;
    mutable std::mutex mu_;
    std::deque<std::string> queue_;
    bool overflowed_ = false;
    std::function<void()> wakeup_;
  };

  LiveFeed();
  ~LiveFeed();
  LiveFeed(const LiveFeed&) = delete;
  LiveFeed& operator=(const LiveFeed&) = delete;

  std::shared_ptr<Subscription> Subscribe(const std::string& channel, size_t max_queued = 256);
  void Publish(const std::string& channel, const std::string& event);
  size_t SubscriberCount(const std::string& channel) const;

 private:
  std::shared_ptr<Registry> registry_;
};

}  // namespace kefu::engine
