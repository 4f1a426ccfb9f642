#include <gtest/gtest.h>

#include "app/tunnel_state.hpp"

namespace gpunb::app {

// A token is whatever the machine said: in the page the browser opens it can add no markup.
TEST(RedirectPage, HtmlEscapesTheUrlSoAMachineChosenTokenAddsNoMarkup) {
  auto page = redirect_page("http://127.0.0.1:9999/?token=x\"><script>alert(1)</script>&a='b'");
  EXPECT_EQ(page.find("<script>"), std::string::npos) << page;
  EXPECT_EQ(page.find("x\">"), std::string::npos) << page;
  EXPECT_NE(page.find("token=x&quot;&gt;&lt;script&gt;alert(1)&lt;/script&gt;&amp;a=&#39;b&#39;"),
            std::string::npos)
      << page;
  EXPECT_EQ(redirect_page("http://127.0.0.1:9999/?token=abc123"),
            "<!DOCTYPE html><meta http-equiv=\"refresh\" content=\"0;url=http://127.0.0.1:9999/"
            "?token=abc123\"><a href=\"http://127.0.0.1:9999/?token=abc123\">Jupyter</a>\n");
}

}  // namespace gpunb::app
