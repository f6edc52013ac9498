#include "protocols/common/refusal.hpp"

#include <string>

namespace citygate::proto {

namespace {

class answer_condition_category_impl : public std::error_category {
public:
    const char* name() const noexcept override { return "citygate.answer"; }

    std::string message(int value) const override
    {
        if (static_cast<answer_condition>(value) == answer_condition::request_refused)
            return "the device refused the request";
        return "unknown answer condition";
    }
};

} // namespace

const std::error_category& answer_condition_category() noexcept
{
    static const answer_condition_category_impl category;
    return category;
}

std::error_condition make_error_condition(answer_condition c) noexcept
{
    return {static_cast<int>(c), answer_condition_category()};
}

bool is_refusal(std::error_code error) noexcept
{
    return error == answer_condition::request_refused;
}

} // namespace citygate::proto
