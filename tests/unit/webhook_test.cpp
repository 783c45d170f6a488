#include <gtest/gtest.h>

#include "core/webhook.hpp"

namespace chronicle {
namespace {

TEST(WebhookUrls, CredentialsAreMaskedWhereverUrlsCarryThem) {
  const std::pair<const char*, const char*> cases[] = {
      {"http://user:pass@127.0.0.1:8080/hook", "http://***@127.0.0.1:8080/hook"},
      {"https://token@ntfy.example.com/alerts", "https://***@ntfy.example.com/alerts"},
      {"https://discord.com/api/webhooks/1234567890/AbC-dEf_token", "https://discord.com/api/webhooks/1234567890/***"},
      {"https://ptb.discord.com/api/webhooks/1/tok/github", "https://ptb.discord.com/api/webhooks/1/***/***"},
      {"https://hooks.slack.com/services/T000/B000/XXXXsecret", "https://hooks.slack.com/services/T000/B000/***"},
      {"https://api.telegram.org/bot123:ABC/sendMessage?chat_id=5",
       "https://api.telegram.org/bot***/sendMessage?chat_id=5"},
      {"https://ntfy.sh/topic?auth=QmFzaWM&title=x", "https://ntfy.sh/topic?auth=***&title=x"},
      {"https://example.com/in?api_key=k&Token=t&sig=s#frag",
       "https://example.com/in?api_key=***&Token=***&sig=***#frag"},
      {"https://example.com/plain/path?page=2", "https://example.com/plain/path?page=2"},
      {"http://[::1]:9000/hook", "http://[::1]:9000/hook"},
      {"not a url", "not a url"},
  };
  for (const auto& [url, shown] : cases) EXPECT_EQ(masked_url(url), shown) << url;
}

TEST(WebhookUrls, TheListingShowsTheMaskedUrl) {
  Webhook w;
  w.id = "W1";
  w.url = "http://alice:hunter2@127.0.0.1/hook";
  w.secret = "s";
  const auto j = to_public_json(w);
  EXPECT_EQ(j["url"], "http://***@127.0.0.1/hook");
  EXPECT_EQ(j.dump().find("hunter2"), std::string::npos);
  EXPECT_EQ(j.dump().find("\"s\""), std::string::npos);
}

}  // namespace
}  // namespace chronicle
