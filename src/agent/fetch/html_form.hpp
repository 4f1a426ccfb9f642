// Just enough HTML for the pages download hosts answer with instead of a file (Google Drive's
// confirmation form, its error pages): tags and their attributes, one form's fields, the text of
// an element, entities. Not a general parser: scripts and comments are skipped, nothing nests.
#pragma once

#include <optional>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

namespace gpunb::data {

struct HtmlTag {
  std::string name;  // lower case; "/p" for a closing tag
  std::vector<std::pair<std::string, std::string>> attributes;  // names lower case, values decoded
  size_t begin = 0;                                             // offset of '<'
  size_t end = 0;                                               // offset just after '>'
  std::optional<std::string> attribute(std::string_view name) const;
};

struct HtmlForm {
  std::string action;  // as written (entities decoded); may be relative
  std::string method;  // lower case; "get" when absent
  std::vector<std::pair<std::string, std::string>> fields;  // hidden inputs with a name, in order
};

// The tags of HTML in order (the contents of <script> and <style> and comments skipped).
std::vector<HtmlTag> html_tags(std::string_view html);

// The form whose id attribute is ID.
std::optional<HtmlForm> html_form(std::string_view html, std::string_view id);

// The text inside the first element that has attribute NAME equal to VALUE (e.g. class
// "uc-error-subcaption"), inner tags dropped, entities decoded, white space folded.
std::optional<std::string> html_element_text(std::string_view html, std::string_view name,
                                             std::string_view value);
std::optional<std::string> html_title(std::string_view html);

// &amp; &lt; &gt; &quot; &apos; &#39; &#NNN; &#xHH; (others are left as they are).
std::string html_unescape(std::string_view text);
// Visible text: tags dropped, entities decoded, runs of white space folded to one space.
std::string html_text(std::string_view html);

// application/x-www-form-urlencoded pairs: a=1&b=x%20y (RFC 3986 unreserved kept as they are).
std::string form_encode(const std::vector<std::pair<std::string, std::string>>& fields);

}  // namespace gpunb::data
