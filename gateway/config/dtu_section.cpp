// [dtu]: the listener that 4G DTUs connect to.

#include "gateway/config/sections.hpp"
#include "gateway/config/values.hpp"

#include <algorithm>
#include <set>

namespace citygate::config::detail {

namespace {

using std::chrono::milliseconds;
using std::chrono::seconds;

void read_listen(table_reader& reader, const toml::table& table, std::vector<std::string>& out)
{
    if (!reader.read_string_array("listen", out))
        return;

    const auto& array = *table["listen"].as_array();
    std::set<std::string> seen;
    for (std::size_t i = 0; i < out.size(); ++i) {
        const auto key = "dtu.listen[" + std::to_string(i) + "]";
        std::string error;
        auto address = parse_listen_address(out[i], error);
        if (!address) {
            reader.sink().error(line_of(array[i]), key, "invalid listen address " + quote_text(out[i]) + ": " + error);
            continue;
        }
        if (!seen.insert(address->host + " " + std::to_string(address->port)).second)
            reader.sink().error(line_of(array[i]), key, quote_text(out[i]) + " is listed twice");
    }
}

} // namespace

void read_dtu(table_reader& root, dtu_config& out)
{
    const auto* table = root.read_table("dtu");
    if (!table)
        return;

    table_reader reader(*table, "dtu", root.sink());
    out.line = reader.line();
    read_listen(reader, *table, out.listen);
    reader.read_duration("registration_timeout", out.registration_timeout, milliseconds(100), seconds(600));
    reader.read_number("max_connections", out.max_connections, 1, 10000);
    reader.report_unknown_keys();
}

void check_dtu_listener(issue_sink& sink, const dtu_config& dtu, const std::vector<bus_config>& buses)
{
    auto is_dtu = [](const bus_config& b) { return b.type == bus_type::dtu; };
    const auto first = std::find_if(buses.begin(), buses.end(), is_dtu);
    if (first == buses.end() || !dtu.listen.empty())
        return;
    sink.error(first->line, "bus[" + std::to_string(first - buses.begin()) + "].type",
               "bus " + quote_text(first->id) +
                   " has type \"dtu\", but no listen address is set; add [dtu] listen = [\"0.0.0.0:9000\", \"[::]:9000\"]");
}

} // namespace citygate::config::detail
