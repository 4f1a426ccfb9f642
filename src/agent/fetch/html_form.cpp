#include "agent/fetch/html_form.hpp"

#include <algorithm>
#include <cctype>
#include <cstdint>

namespace gpunb::data {

namespace {

constexpr auto npos = std::string_view::npos;

bool is_space(char c) {
  return std::isspace(static_cast<unsigned char>(c)) != 0;
}

std::string lower(std::string_view text) {
  std::string out(text);
  for (auto& c : out) c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
  return out;
}

// Reads one tag's attributes from html[at], stopping after '>'; returns the offset after it.
class TagReader {
 public:
  TagReader(std::string_view html, size_t at) : html_(html), at_(at) {}

  size_t read(HtmlTag& tag) {
    while (true) {
      while (at_ < html_.size() && (is_space(html_[at_]) || html_[at_] == '/')) ++at_;
      if (at_ >= html_.size()) return html_.size();
      if (html_[at_] == '>') return at_ + 1;
      auto name = word();
      if (name.empty()) {
        ++at_;
        continue;
      }
      tag.attributes.emplace_back(lower(name), value());
    }
  }

 private:
  std::string_view word() {
    auto start = at_;
    while (at_ < html_.size() && !is_space(html_[at_]) && html_[at_] != '=' && html_[at_] != '>' &&
           html_[at_] != '/')
      ++at_;
    return html_.substr(start, at_ - start);
  }

  std::string value() {
    auto mark = at_;
    while (at_ < html_.size() && is_space(html_[at_])) ++at_;
    if (at_ >= html_.size() || html_[at_] != '=') {
      at_ = mark;
      return {};
    }
    ++at_;
    while (at_ < html_.size() && is_space(html_[at_])) ++at_;
    if (at_ < html_.size() && (html_[at_] == '"' || html_[at_] == '\'')) {
      auto close = html_.find(html_[at_], at_ + 1);
      if (close == npos) close = html_.size();
      auto text = html_.substr(at_ + 1, close - at_ - 1);
      at_ = std::min(close + 1, html_.size());
      return html_unescape(text);
    }
    auto start = at_;
    while (at_ < html_.size() && !is_space(html_[at_]) && html_[at_] != '>') ++at_;
    return html_unescape(html_.substr(start, at_ - start));
  }

  std::string_view html_;
  size_t at_;
};

// Where the raw text of <script> or <style> ends (the offset of its closing tag).
size_t raw_text_end(std::string_view html, size_t from, const std::string& name) {
  auto haystack = lower(html.substr(from));
  auto close = haystack.find("</" + name);
  return close == std::string::npos ? html.size() : from + close;
}

std::string decode_number(std::string_view digits, int base) {
  std::uint32_t code = 0;
  for (char c : digits) {
    int digit = std::isdigit(static_cast<unsigned char>(c)) ? c - '0' : std::tolower(c) - 'a' + 10;
    if (digit < 0 || digit >= base || code > 0x10FFFF) return {};
    code = code * static_cast<std::uint32_t>(base) + static_cast<std::uint32_t>(digit);
  }
  if (code == 0 || code > 0x10FFFF) return {};
  std::string out;
  auto byte = [&](std::uint32_t value) { out += static_cast<char>(value); };
  if (code < 0x80) {
    byte(code);
  } else if (code < 0x800) {
    byte(0xC0 | (code >> 6)), byte(0x80 | (code & 0x3F));
  } else if (code < 0x10000) {
    byte(0xE0 | (code >> 12)), byte(0x80 | ((code >> 6) & 0x3F)), byte(0x80 | (code & 0x3F));
  } else {
    byte(0xF0 | (code >> 18)), byte(0x80 | ((code >> 12) & 0x3F));
    byte(0x80 | ((code >> 6) & 0x3F)), byte(0x80 | (code & 0x3F));
  }
  return out;
}

// The character of one entity body ("amp", "#39", "#x27"); empty when unknown.
std::string decode_entity(std::string_view body) {
  if (body == "amp") return "&";
  if (body == "lt") return "<";
  if (body == "gt") return ">";
  if (body == "quot") return "\"";
  if (body == "apos") return "'";
  if (body == "nbsp") return " ";
  if (body.size() > 2 && body[0] == '#' && (body[1] == 'x' || body[1] == 'X'))
    return decode_number(body.substr(2), 16);
  if (body.size() > 1 && body[0] == '#') return decode_number(body.substr(1), 10);
  return {};
}

}  // namespace

std::optional<std::string> HtmlTag::attribute(std::string_view wanted) const {
  for (const auto& [key, value] : attributes)
    if (key == wanted) return value;
  return std::nullopt;
}

std::vector<HtmlTag> html_tags(std::string_view html) {
  std::vector<HtmlTag> tags;
  for (size_t at = html.find('<'); at != npos; at = html.find('<', at)) {
    if (html.substr(at, 4) == "<!--") {
      auto close = html.find("-->", at + 4);
      at = close == npos ? html.size() : close + 3;
      continue;
    }
    size_t name_end = at + 1;
    if (name_end < html.size() && html[name_end] == '/') ++name_end;
    while (name_end < html.size() && std::isalnum(static_cast<unsigned char>(html[name_end])))
      ++name_end;
    HtmlTag tag{lower(html.substr(at + 1, name_end - at - 1)), {}, at, 0};
    tag.end = TagReader(html, name_end).read(tag);
    at = tag.end;
    if (tag.name.empty() || tag.name == "/") continue;
    if (tag.name == "script" || tag.name == "style") at = raw_text_end(html, at, tag.name);
    tags.push_back(std::move(tag));
  }
  return tags;
}

std::optional<HtmlForm> html_form(std::string_view html, std::string_view id) {
  auto tags = html_tags(html);
  auto form = std::find_if(tags.begin(), tags.end(), [&](const HtmlTag& tag) {
    return tag.name == "form" && tag.attribute("id") == id;
  });
  if (form == tags.end()) return std::nullopt;
  HtmlForm out{
      form->attribute("action").value_or(""), lower(form->attribute("method").value_or("get")), {}};
  for (auto tag = form + 1; tag != tags.end() && tag->name != "/form"; ++tag) {
    if (tag->name != "input" || lower(tag->attribute("type").value_or("")) != "hidden") continue;
    auto name = tag->attribute("name");
    if (name && !name->empty())
      out.fields.emplace_back(*name, tag->attribute("value").value_or(""));
  }
  return out;
}

std::optional<std::string> html_element_text(std::string_view html, std::string_view name,
                                             std::string_view value) {
  auto tags = html_tags(html);
  for (size_t i = 0; i < tags.size(); ++i) {
    auto attribute = tags[i].attribute(name);
    if (!attribute || *attribute != value) continue;
    auto close = "/" + tags[i].name;
    size_t j = i + 1;
    while (j < tags.size() && tags[j].name != close) ++j;
    auto end = j < tags.size() ? tags[j].begin : html.size();
    return html_text(html.substr(tags[i].end, end - tags[i].end));
  }
  return std::nullopt;
}

std::optional<std::string> html_title(std::string_view html) {
  for (const auto& tag : html_tags(html)) {
    if (tag.name != "title") continue;
    auto close = lower(html.substr(tag.end)).find("</title");
    if (close == std::string::npos) return std::nullopt;
    return html_text(html.substr(tag.end, close));
  }
  return std::nullopt;
}

std::string html_unescape(std::string_view text) {
  std::string out;
  for (size_t at = 0; at < text.size(); ++at) {
    auto semicolon = text[at] == '&' ? text.find(';', at) : npos;
    auto decoded = semicolon != npos && semicolon - at <= 10
                       ? decode_entity(text.substr(at + 1, semicolon - at - 1))
                       : std::string();
    if (decoded.empty()) {
      out += text[at];
      continue;
    }
    out += decoded;
    at = semicolon;
  }
  return out;
}

std::string html_text(std::string_view html) {
  std::string raw;
  size_t at = 0;
  bool raw_text = false;  // after <script> or <style>: not visible
  for (const auto& tag : html_tags(html)) {
    if (!raw_text) raw.append(html.substr(at, tag.begin - at));
    raw += ' ';
    at = tag.end;
    raw_text = tag.name == "script" || tag.name == "style";
  }
  if (at < html.size()) raw.append(html.substr(at));
  std::string out;
  for (char c : html_unescape(raw)) {
    if (is_space(c) && (out.empty() || out.back() == ' ')) continue;
    out += is_space(c) ? ' ' : c;
  }
  while (!out.empty() && out.back() == ' ') out.pop_back();
  return out;
}

std::string form_encode(const std::vector<std::pair<std::string, std::string>>& fields) {
  static constexpr char kHex[] = "0123456789ABCDEF";
  auto encode = [](std::string_view text) {
    std::string out;
    for (unsigned char c : text) {
      if (std::isalnum(c) || c == '-' || c == '_' || c == '.' || c == '~') {
        out += static_cast<char>(c);
      } else {
        out += '%';
        out += kHex[c >> 4];
        out += kHex[c & 15];
      }
    }
    return out;
  };
  std::string out;
  for (const auto& [name, value] : fields) {
    if (!out.empty()) out += '&';
    out += encode(name) + '=' + encode(value);
  }
  return out;
}

}  // namespace gpunb::data
