from django.contrib import admin

from grassroots.core.admin import ReadOnlyAdmin

from .models import Contract, ContractLine, Milestone, Payment, Tranche

admin.site.register(Contract, ReadOnlyAdmin)
admin.site.register(ContractLine, ReadOnlyAdmin)
admin.site.register(Milestone, ReadOnlyAdmin)
admin.site.register(Tranche, ReadOnlyAdmin)
admin.site.register(Payment, ReadOnlyAdmin)
