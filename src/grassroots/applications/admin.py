from django.contrib import admin

from grassroots.core.admin import ReadOnlyAdmin

from .models import Application, BudgetLine, Indicator, MatchingFund, TeamMember

admin.site.register(Application, ReadOnlyAdmin)
admin.site.register(TeamMember, ReadOnlyAdmin)
admin.site.register(Indicator, ReadOnlyAdmin)
admin.site.register(BudgetLine, ReadOnlyAdmin)
admin.site.register(MatchingFund, ReadOnlyAdmin)
